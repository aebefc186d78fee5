/**
 * Each order adapter's own settings (ORDER_ADAPTER picks one), validated at start-up: a missing or
 * bad value stops the bot with one line naming the variable and what it is for. Only the selected
 * adapter's variables are read; Kuaidi100 is independent of the adapter (any shop with parcels).
 */
import { z } from 'zod';
import { PRODUCT_TYPES, type ProductType } from './model.js';

export const ADAPTER_NAMES = ['demo', 'dujiaoka', 'acgfaka', 'dujiao-next', 'http'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/** An IANA time zone such as Asia/Shanghai (config.ts uses it for SHOP_TIMEZONE too). */
export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not an IANA time zone such as Asia/Shanghai');

const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);
const httpUrl = z
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL')
  .transform((u) => u.replace(/\/+$/, ''));

/**
 * "goods:12=phone_topup,group:3=physical_card,default=game_card": how the shop's products map to
 * our product types (none of the shop systems has a notion that matches). Keys: `goods:<id>`,
 * `group:<id>` (dujiaoka goods group / acg-faka category), `title:<text>` (a substring of the
 * product name), `default`.
 */
export interface ProductTypeRules {
  goods: Map<string, ProductType>;
  group: Map<string, ProductType>;
  title: Array<[string, ProductType]>;
  fallback?: ProductType;
}

const productTypes = z
  .string()
  .optional()
  .transform((raw, ctx): ProductTypeRules => {
    const rules: ProductTypeRules = { goods: new Map(), group: new Map(), title: [] };
    if (!raw?.trim()) return rules;
    for (const part of raw
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const eq = part.lastIndexOf('=');
      const key = eq > 0 ? part.slice(0, eq).trim() : '';
      const type = part.slice(eq + 1).trim() as ProductType;
      if (!(PRODUCT_TYPES as readonly string[]).includes(type) || !key) {
        ctx.addIssue({
          code: 'custom',
          message: `expected "goods:<id>=type", "group:<id>=type", "title:<text>=type" or "default=type" with types ${PRODUCT_TYPES.join('|')}, got "${part}"`,
        });
        return z.NEVER;
      }
      const m = /^(goods|group|title):(.+)$/.exec(key);
      if (key === 'default') rules.fallback = type;
      else if (m?.[1] === 'goods') rules.goods.set(m[2]!.trim(), type);
      else if (m?.[1] === 'group') rules.group.set(m[2]!.trim(), type);
      else if (m?.[1] === 'title') rules.title.push([m[2]!.trim(), type]);
      else {
        ctx.addIssue({ code: 'custom', message: `unknown key "${key}" (use goods:<id>, group:<id>, title:<text> or default)` });
        return z.NEVER;
      }
    }
    return rules;
  });

/** A product's type by the rules: its own id, then its group, then its title, then the default, then a guess from the title. */
export function productTypeOf(rules: ProductTypeRules, p: { goodsId?: string | number; groupId?: string | number; title: string }): ProductType {
  const byGoods = p.goodsId !== undefined ? rules.goods.get(String(p.goodsId)) : undefined;
  if (byGoods) return byGoods;
  const byGroup = p.groupId !== undefined ? rules.group.get(String(p.groupId)) : undefined;
  if (byGroup) return byGroup;
  const byTitle = rules.title.find(([t]) => p.title.includes(t));
  if (byTitle) return byTitle[1];
  if (rules.fallback) return rules.fallback;
  return guessProductType(p.title);
}

/** Without a rule: what the product's name says (话费 → top-up, 邮寄/实体 → physical, 激活码/授权 → licence). */
export function guessProductType(title: string): ProductType {
  if (/话费|流量|充值(?!卡)|代充|直充|点券/.test(title)) return 'phone_topup';
  if (/邮寄|实体|快递|包邮/.test(title)) return 'physical_card';
  if (/激活码|授权|许可证|license|序列号|cdk(?:ey)?|软件/i.test(title)) return 'software_license';
  if (/卡|点卡|月卡|兑换码|卡密|礼品/.test(title)) return 'game_card';
  return 'other';
}

const mysqlUrl = z.string().regex(/^mysql:\/\/\S+$/, 'a mysql://user:password@host:3306/database URL (a read-only account: README "Connect your shop")');

const shopDatabase = {
  SHOP_DATABASE_URL: mysqlUrl,
  /** Zone of the wall-clock times in the shop's database; default SHOP_TIMEZONE. */
  SHOP_DATABASE_TIMEZONE: timeZone.optional(),
  SHOP_DATABASE_POOL_SIZE: positiveInt(5),
  /** Longest one query may take before the buyer is told the shop cannot be reached. */
  SHOP_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
  SHOP_PRODUCT_TYPES: productTypes,
};

export const DujiaokaSettings = z.object({
  ...shopDatabase,
  /** The secret part of our api_hook URL (/hooks/dujiaoka/<token>), pasted into each product's 回调事件. */
  SHOP_HOOK_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/, '16–128 letters, digits, - or _ (it is part of a URL)')
    .optional(),
  /** The shop's 订单过期时间 (minutes; dujiaoka keeps it only in its cache). */
  SHOP_PAYMENT_WINDOW_MIN: positiveInt(5),
});

export const AcgfakaSettings = z.object({
  ...shopDatabase,
  /** Table prefix chosen at install (acg_); interpolated as an identifier, so checked strictly. */
  SHOP_TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_]{0,32}$/, 'letters, digits and _ only (at most 32)')
    .default('acg_'),
  /** Unpaid orders older than this are shown as expired (acg-faka has no expired state; its clean-up deletes them after 30 minutes). */
  SHOP_PAYMENT_WINDOW_MIN: positiveInt(30),
});

export const DujiaoNextSettings = z.object({
  /** The site root (https://shop.example.com); the bot calls its /api/v1 buyer API. */
  SHOP_API_BASE: httpUrl,
  SHOP_API_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(4000),
  SHOP_PRODUCT_TYPES: productTypes,
  /** Order numbers the site issues (a fork may use another prefix). */
  SHOP_ORDER_NO_PATTERN: z
    .string()
    .default('^DJ\\d{20}(-\\d{2})?$')
    .refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'not a regular expression'),
  /** Open-API key and secret of the site-to-site API: only to receive its signed status callbacks (optional). */
  DUJIAO_NEXT_API_KEY: z.string().min(1).optional(),
  DUJIAO_NEXT_API_SECRET: z.string().min(8).optional(),
  /** Keys of a fulfilment's delivery_data that hold the courier number and carrier (free-form in Dujiao-Next). */
  DUJIAO_NEXT_TRACKING_KEYS: z.string().default('tracking_no,tracking_number,express_no,logistics_no'),
  DUJIAO_NEXT_CARRIER_KEYS: z.string().default('carrier,company,express_company,logistics_company'),
});

export const HttpShopSettings = z.object({
  /** Base URL of the shop's implementation of docs/shop-api.openapi.json. */
  SHOP_API_BASE: httpUrl,
  /** Shared secret for the HMAC signature on every request (and on the shop's events to us). */
  SHOP_API_SECRET: z.string().min(32, 'use at least 32 characters'),
  /** Sent as X-Shop-Key, so one shop can tell several bots apart. */
  SHOP_API_KEY: z.string().min(1).default('kamen-bot'),
  SHOP_API_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(4000),
});

export const Kuaidi100Settings = z.object({
  KUAIDI100_CUSTOMER: z.string().min(1),
  KUAIDI100_KEY: z.string().min(1),
  KUAIDI100_API_BASE: httpUrl.default('https://poll.kuaidi100.com'),
  KUAIDI100_AUTONUM_BASE: httpUrl.default('http://www.kuaidi100.com'),
  /** Signs Kuaidi100's pushes to us; set it to subscribe to pushes (with PUBLIC_BASE_URL). */
  KUAIDI100_SALT: z.string().min(8).max(32).optional(),
  /** Queries a day before the bot stops asking Kuaidi100 (each query spends the shop's quota). */
  KUAIDI100_DAILY_QUERIES: positiveInt(2000),
});

export type DujiaokaSettings = z.infer<typeof DujiaokaSettings>;
export type AcgfakaSettings = z.infer<typeof AcgfakaSettings>;
export type DujiaoNextSettings = z.infer<typeof DujiaoNextSettings>;
export type HttpShopSettings = z.infer<typeof HttpShopSettings>;
export type Kuaidi100Settings = z.infer<typeof Kuaidi100Settings>;

export type ShopSettings =
  | { adapter: 'demo' }
  | { adapter: 'dujiaoka'; dujiaoka: DujiaokaSettings & { SHOP_DATABASE_TIMEZONE: string } }
  | { adapter: 'acgfaka'; acgfaka: AcgfakaSettings & { SHOP_DATABASE_TIMEZONE: string } }
  | { adapter: 'dujiao-next'; dujiaoNext: DujiaoNextSettings }
  | { adapter: 'http'; http: HttpShopSettings };

const WHY: Record<string, string> = {
  SHOP_DATABASE_URL: "the shop's MySQL/MariaDB database, read-only",
  SHOP_API_BASE: "the shop's site root",
  SHOP_API_SECRET: 'the shared secret both sides sign with',
  KUAIDI100_KEY: 'the 授权key from the Kuaidi100 console',
  KUAIDI100_CUSTOMER: 'the customer id from the Kuaidi100 console',
};

function parse<T extends z.ZodTypeAny>(schema: T, env: Record<string, string>, what: string): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  if (env[name] === undefined) throw new SettingsError(`Invalid configuration: ${name} is required with ${what}${WHY[name] ? ` (${WHY[name]})` : ''}`);
  throw new SettingsError(`Invalid configuration: ${name}=${JSON.stringify(env[name])}: ${issue.message}`);
}

export class SettingsError extends Error {}

/** The selected adapter's settings from the (cleaned) environment; throws SettingsError naming the variable. */
export function parseShopSettings(adapter: AdapterName, env: Record<string, string>, shopTimeZone: string): ShopSettings {
  const what = `ORDER_ADAPTER=${adapter}`;
  switch (adapter) {
    case 'demo':
      return { adapter };
    case 'dujiaoka': {
      const s = parse(DujiaokaSettings, env, what);
      return { adapter, dujiaoka: { ...s, SHOP_DATABASE_TIMEZONE: s.SHOP_DATABASE_TIMEZONE ?? shopTimeZone } };
    }
    case 'acgfaka': {
      const s = parse(AcgfakaSettings, env, what);
      return { adapter, acgfaka: { ...s, SHOP_DATABASE_TIMEZONE: s.SHOP_DATABASE_TIMEZONE ?? shopTimeZone } };
    }
    case 'dujiao-next': {
      const s = parse(DujiaoNextSettings, env, what);
      if (!!s.DUJIAO_NEXT_API_KEY !== !!s.DUJIAO_NEXT_API_SECRET)
        throw new SettingsError(
          `Invalid configuration: ${s.DUJIAO_NEXT_API_KEY ? 'DUJIAO_NEXT_API_SECRET' : 'DUJIAO_NEXT_API_KEY'} is required with the other (the open-API key pair signs its callbacks)`,
        );
      return { adapter, dujiaoNext: s };
    }
    case 'http':
      return { adapter, http: parse(HttpShopSettings, env, what) };
  }
}

/** Kuaidi100 when either of its credentials is set (both are then required). */
export function parseKuaidi100(env: Record<string, string>): Kuaidi100Settings | undefined {
  if (!env.KUAIDI100_CUSTOMER && !env.KUAIDI100_KEY) return undefined;
  return parse(Kuaidi100Settings, env, 'Kuaidi100 tracking (KUAIDI100_CUSTOMER and KUAIDI100_KEY go together)');
}

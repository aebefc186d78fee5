/**
 * Environment → typed configuration. A bad value stops start-up with one line naming the variable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type DailyHours, parseHours } from './calendar.js';
import { PRODUCT_TYPES, type ProductType } from './orders/model.js';
import {
  ADAPTER_NAMES,
  type AdapterName,
  timeZone as ianaZone,
  type Kuaidi100Settings,
  parseKuaidi100,
  parseShopSettings,
  SettingsError,
  type ShopSettings,
} from './orders/settings.js';

export type PerProduct = Record<ProductType, number>;

/** "game_card=15,phone_topup=30" → a full per-product table (missing types keep the default). */
function perProduct(defaults: PerProduct) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const out: PerProduct = { ...defaults };
      if (!raw?.trim()) return out;
      for (const part of raw.split(',')) {
        const [key, value] = part.split('=').map((s) => s.trim());
        const n = Number(value);
        if (!key || !(PRODUCT_TYPES as readonly string[]).includes(key) || !Number.isFinite(n) || n <= 0) {
          ctx.addIssue({ code: 'custom', message: `expected "type=minutes" pairs with types ${PRODUCT_TYPES.join('|')}, got "${part}"` });
          return z.NEVER;
        }
        out[key as ProductType] = n;
      }
      return out;
    });
}

const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const aesKey = z.string().regex(/^[A-Za-z0-9]{43}$/, 'EncodingAESKey is exactly 43 letters or digits');

const timeZone = ianaZone.default('Asia/Shanghai');

export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Behind a reverse proxy (nginx, a cloud load balancer) that terminates TLS: which proxies to
   * believe for the client address and https (Express "trust proxy": false, loopback, a hop count,
   * or addresses/subnets). Decides Secure cookies, wss:// stream URLs and per-address limits.
   */
  TRUST_PROXY: z
    .string()
    .regex(/^(false|true|loopback|linklocal|uniquelocal|\d{1,2}|[0-9a-fA-F.:/, ]+)$/, 'false, loopback, a hop count, or comma-separated addresses/subnets')
    .default('false'),
  DATABASE_FILE: z.string().min(1).default('data/bot.sqlite'),
  /** postgres://user:password@host:5432/db — PostgreSQL instead of the SQLite file (several instances). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL')
    .optional(),
  /** PostgreSQL connections per instance (queries; as many again for conversation locks). */
  DATABASE_POOL_SIZE: positiveInt(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHOP_NAME: z.string().min(1).default('演示卡盟'),
  SHOP_TIMEZONE: timeZone,
  /** Where the shop's orders are read (src/orders/registry.ts); each adapter's own settings are in src/orders/settings.ts. */
  ORDER_ADAPTER: z.enum(ADAPTER_NAMES).default('demo'),
  /** The bot's address as the internet reaches it (https://cs.example.com): Kuaidi100 push subscriptions point here. */
  PUBLIC_BASE_URL: z
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL')
    .optional(),
  /** "到了告诉我": how long a buyer's watch on an order lasts at most (hours), and the first and longest gap between polls (minutes). */
  NOTIFY_MAX_HOURS: positiveInt(72),
  NOTIFY_POLL_MIN: positiveInt(2),
  NOTIFY_POLL_MAX_MIN: positiveInt(60),
  DEMO_SEED: bool(true),
  /** The demo shop's pages and fake log-in (/, /orders.html, /demo/*): a demo, only with the demo adapter. */
  DEMO_PAGES: bool(true),
  MAX_MESSAGE_CHARS: positiveInt(2000),
  /** Any OpenAI-compatible Chat Completions endpoint; unset = no LLM (rules and the learned model). */
  LLM_BASE_URL: z.url().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().min(1).optional(),
  /** json_object (schema in the prompt; most providers), json_schema (enforced), none (plain text). */
  LLM_JSON_MODE: z.enum(['json_object', 'json_schema', 'none']).default('json_object'),
  /** Longest a turn waits for the model (all attempts); stays inside WeChat's 5-second rule. */
  LLM_BUDGET_MS: z.coerce.number().int().min(200).max(4000).default(2000),
  /** Tokens a day (shop time) before the bot goes rules-only until midnight; 0 = no limit. */
  LLM_DAILY_TOKENS: z.coerce.number().int().min(0).default(2_000_000),
  /** Failures in a row that open the breaker, and for how long (seconds) the bot is rules-only. */
  LLM_BREAKER_FAILURES: positiveInt(3),
  LLM_BREAKER_COOLDOWN_SEC: positiveInt(60),
  /** Let the model rephrase the bot's replies (facts cut out and put back by code; checked). */
  LLM_REPHRASE: bool(false),
  /** How intents are read without an LLM: the learned model beside the rules, or the rules alone. */
  INTENT_MODEL: z.enum(['learned', 'rules']).default('learned'),
  /** Buyer should wait this long after payment before worrying (self-check window). */
  POLICY_NORMAL_WAIT_MIN: perProduct({ game_card: 15, phone_topup: 30, software_license: 15, physical_card: 2880, other: 15 }),
  /** Paid, no hold, nothing delivered after this long: overdue, escalate. */
  POLICY_OVERDUE_MIN: perProduct({ game_card: 120, phone_topup: 240, software_license: 120, physical_card: 4320, other: 120 }),
  /** Supplier / top-up interface SLA. */
  POLICY_SUPPLIER_SLA_MIN: perProduct({ game_card: 30, phone_topup: 120, software_license: 60, physical_card: 2880, other: 60 }),
  POLICY_REVIEW_MIN: positiveInt(120),
  /** When manual reviews happen, shop time, "HH:MM-HH:MM"; default AGENT_HOURS. */
  POLICY_REVIEW_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM-HH:MM, e.g. 09:00-23:00')
    .optional(),
  POLICY_FIRST_SCAN_HOURS: positiveInt(72),
  TICKET_RESPONSE_HOURS: positiveInt(4),
  VERIFY_MAX_FAILURES: positiveInt(5),
  /** Failed checks on one order from all claimants together before it is locked for anyone anonymous. */
  VERIFY_ORDER_MAX_FAILURES: positiveInt(20),
  VERIFY_LOCK_MIN: positiveInt(10),
  LOOKUP_RATE_LIMIT: positiveInt(12),
  /** Lookups per client address in the same window, whatever the conversations (shared addresses: looser). */
  LOOKUP_ADDRESS_RATE_LIMIT: positiveInt(30),
  LOOKUP_RATE_WINDOW_SEC: positiveInt(600),
  /** Shop backend → us: mints Direct Line tokens for logged-in users. Unset: that endpoint is off. */
  DIRECTLINE_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  DIRECTLINE_TOKEN_TTL_SEC: positiveInt(1800),
  /** Activities a conversation may post per minute. */
  DIRECTLINE_RATE_PER_MIN: positiveInt(30),
  /** Origins allowed to call Direct Line from a browser (CORS): "*" or a comma list of origins. */
  DIRECTLINE_ALLOWED_ORIGINS: z.string().default('*'),
  /** Files a buyer may send (payment screenshots): bytes per file and files per message. */
  UPLOAD_MAX_BYTES: positiveInt(5 * 1024 * 1024),
  UPLOAD_MAX_FILES: positiveInt(4),
  /** When live agents work, shop time, "HH:MM-HH:MM" (may cross midnight; 00:00-24:00 = always). */
  AGENT_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM-HH:MM, e.g. 09:00-22:00')
    .default('09:00-22:00'),
  /** Minutes an agent needs per conversation, for wait estimates until there is history. */
  AGENT_HANDLE_MIN: positiveInt(6),
  /** A handoff nobody took within this many minutes becomes a ticket (the buyer is told). */
  AGENT_QUEUE_MAX_MIN: positiveInt(20),
  /** WeChat Official Account (/wechat/oa): the server-config Token turns the channel on. */
  WECHAT_OA_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{3,32}$/, '3–32 letters or digits, as the WeChat console allows')
    .optional(),
  WECHAT_OA_APPID: z.string().min(1).optional(),
  WECHAT_OA_APPSECRET: z.string().min(1).optional(),
  /** 43 characters; needed for the compatible and safe (encrypted) modes. */
  WECHAT_OA_AES_KEY: aesKey.optional(),
  WECHAT_OA_API_BASE: z.url().default('https://api.weixin.qq.com'),
  /** Customer-service messages per user within the window after their last message (WeChat: 5 within 48 h). */
  WECHAT_OA_CS_QUOTA: positiveInt(5),
  WECHAT_OA_CS_WINDOW_HOURS: positiveInt(48),
  /** WeCom self-built app (/wechat/wecom): callbacks are always encrypted. */
  WECOM_CORP_ID: z.string().min(1).optional(),
  WECOM_AGENT_ID: z.coerce.number().int().positive().optional(),
  WECOM_SECRET: z.string().min(1).optional(),
  WECOM_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{1,32}$/, 'letters or digits')
    .optional(),
  WECOM_AES_KEY: aesKey.optional(),
  WECOM_API_BASE: z.url().default('https://qyapi.weixin.qq.com'),
  /** Both WeChat channels: answer passively when the turn ends within this (WeChat gives up at 5 s). */
  WECHAT_REPLY_DEADLINE_MS: z.coerce.number().int().min(100).max(4900).default(4500),
  /** Pushes whose timestamp is further than this from now are refused (replay guard). */
  WECHAT_TIMESTAMP_WINDOW_SEC: positiveInt(300),
  /** Azure Bot Service registration for /api/messages; unset = unauthenticated (Emulator, local). */
  MICROSOFT_APP_ID: z.string().optional(),
  MICROSOFT_APP_PASSWORD: z.string().optional(),
  MICROSOFT_APP_TENANT_ID: z.string().optional(),
  MICROSOFT_APP_TYPE: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
  /** Where the connector's signing keys are published (sovereign clouds; tests point it at a local fake). */
  BOTFRAMEWORK_OPENID_METADATA_URL: z.url().optional(),
  /** Without an app id: serve the Bot Framework Emulator, unauthenticated, to loopback clients only. */
  BOTFRAMEWORK_EMULATOR: bool(false),
});

export interface Policy {
  normalWaitMin: PerProduct;
  overdueMin: PerProduct;
  supplierSlaMin: PerProduct;
  reviewMin: number;
  firstScanHours: number;
  /** When reviewers work (shop time); an hours statement in an order's notice wins. */
  reviewHours: DailyHours;
  /** When live agents work: tickets are answered in this time. */
  agentHours: DailyHours;
  /** Hours of agent time within which a ticket is answered. */
  ticketResponseHours: number;
  /** The shop's zone: every window above is counted in its wall-clock time. */
  timeZone: string;
}

export interface Config {
  port: number;
  host: string;
  trustProxy: boolean | number | string;
  databaseFile: string;
  /** Set: PostgreSQL (DATABASE_URL); unset: SQLite at databaseFile. */
  databaseUrl?: string;
  databasePoolSize: number;
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL'];
  shopName: string;
  timeZone: string;
  orderAdapter: AdapterName;
  /** The selected adapter's own settings (validated at start-up). */
  shop: ShopSettings;
  kuaidi100?: Kuaidi100Settings;
  publicBaseUrl?: string;
  notify: { maxHours: number; pollMin: number; pollMaxMin: number };
  demoSeed: boolean;
  /** Serve the demo shop (pages, fake log-in as any demo buyer): only ever with the demo adapter. */
  demoPages: boolean;
  maxMessageChars: number;
  intentModel: 'learned' | 'rules';
  llm?: {
    baseUrl: string;
    apiKey: string;
    model: string;
    jsonMode: 'json_object' | 'json_schema' | 'none';
    budgetMs: number;
    dailyTokens: number;
    breakerFailures: number;
    breakerCooldownSec: number;
    rephrase: boolean;
  };
  policy: Policy;
  ticketResponseHours: number;
  verify: { maxFailures: number; orderMaxFailures: number; lockMinutes: number };
  lookupRateLimit: { max: number; perAddress: number; windowSec: number };
  directLine: { secret?: string; tokenTtlSec: number; ratePerMin: number; allowedOrigins: '*' | string[] };
  uploads: { maxBytes: number; maxFiles: number };
  agents: { hours: string; handleMin: number; queueMaxMin: number };
  wechat: {
    deadlineMs: number;
    timestampWindowSec: number;
    oa?: { token: string; appId?: string; appSecret?: string; aesKey?: string; apiBase: string; csQuota: number; csWindowHours: number };
    wecom?: { corpId: string; agentId: number; secret?: string; token: string; aesKey: string; apiBase: string };
  };
  botFramework: {
    appId?: string;
    appPassword?: string;
    tenantId?: string;
    appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
    openIdMetadataUrl?: string;
    emulator: boolean;
  };
}

export class ConfigError extends Error {}

/** Loads ./.env into process.env when present (Node's own parser; real environment wins). */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = path.join(cwd, '.env');
  if (!fs.existsSync(file)) return;
  const before = { ...process.env };
  process.loadEnvFile(file);
  Object.assign(process.env, before);
}

export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  // Empty strings mean "unset" so that a copied .env.example with blanks works.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`);
  }
  const e = parsed.data;
  // A channel half configured is a mistake to report, not a channel to switch off quietly.
  const wecomSet = (['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_TOKEN', 'WECOM_AES_KEY'] as const).filter((k) => e[k] !== undefined);
  if (wecomSet.length > 0 && wecomSet.length < 4) {
    const missing = (['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_TOKEN', 'WECOM_AES_KEY'] as const).find((k) => e[k] === undefined)!;
    throw new ConfigError(`Invalid configuration: ${missing} is required when ${wecomSet[0]} is set (WeCom needs corp id, agent id, token and EncodingAESKey)`);
  }
  if (e.WECHAT_OA_AES_KEY && !e.WECHAT_OA_APPID)
    throw new ConfigError('Invalid configuration: WECHAT_OA_APPID is required with WECHAT_OA_AES_KEY (the appid is part of every encrypted message)');
  if ((e.LLM_BASE_URL || e.LLM_API_KEY) && !e.LLM_MODEL)
    throw new ConfigError('Invalid configuration: LLM_MODEL is required with LLM_BASE_URL (the model name the endpoint serves)');
  if (e.LLM_MODEL && !e.LLM_BASE_URL)
    throw new ConfigError('Invalid configuration: LLM_BASE_URL is required with LLM_MODEL (an OpenAI-compatible endpoint, e.g. https://api.deepseek.com/v1)');
  if (e.MICROSOFT_APP_ID && e.MICROSOFT_APP_TYPE !== 'UserAssignedMSI' && !e.MICROSOFT_APP_PASSWORD)
    throw new ConfigError("Invalid configuration: MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID (the bot's client secret)");
  if (e.MICROSOFT_APP_ID && e.MICROSOFT_APP_TYPE === 'SingleTenant' && !e.MICROSOFT_APP_TENANT_ID)
    throw new ConfigError('Invalid configuration: MICROSOFT_APP_TENANT_ID is required with MICROSOFT_APP_TYPE=SingleTenant');
  if ((e.WECHAT_OA_APPID || e.WECHAT_OA_AES_KEY || e.WECHAT_OA_APPSECRET) && !e.WECHAT_OA_TOKEN)
    throw new ConfigError('Invalid configuration: WECHAT_OA_TOKEN is required to turn the Official Account channel on');
  let shop: ShopSettings;
  let kuaidi100: Kuaidi100Settings | undefined;
  try {
    shop = parseShopSettings(e.ORDER_ADAPTER, cleaned as Record<string, string>, e.SHOP_TIMEZONE);
    kuaidi100 = parseKuaidi100(cleaned as Record<string, string>);
  } catch (err) {
    if (err instanceof SettingsError) throw new ConfigError(err.message);
    throw err;
  }
  if (e.NOTIFY_POLL_MAX_MIN < e.NOTIFY_POLL_MIN)
    throw new ConfigError('Invalid configuration: NOTIFY_POLL_MAX_MIN must be at least NOTIFY_POLL_MIN (the longest gap between polls)');
  return {
    port: e.PORT,
    host: e.HOST,
    trustProxy: e.TRUST_PROXY === 'false' ? false : e.TRUST_PROXY === 'true' ? true : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    databaseFile: e.DATABASE_FILE === ':memory:' ? ':memory:' : path.resolve(cwd, e.DATABASE_FILE),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    logLevel: e.LOG_LEVEL,
    shopName: e.SHOP_NAME,
    timeZone: e.SHOP_TIMEZONE,
    orderAdapter: e.ORDER_ADAPTER,
    shop,
    kuaidi100,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    notify: { maxHours: e.NOTIFY_MAX_HOURS, pollMin: e.NOTIFY_POLL_MIN, pollMaxMin: e.NOTIFY_POLL_MAX_MIN },
    demoSeed: e.DEMO_SEED,
    demoPages: e.DEMO_PAGES && e.ORDER_ADAPTER === 'demo',
    maxMessageChars: e.MAX_MESSAGE_CHARS,
    intentModel: e.INTENT_MODEL,
    llm:
      e.LLM_BASE_URL && e.LLM_MODEL
        ? {
            baseUrl: e.LLM_BASE_URL.replace(/\/+$/, ''),
            apiKey: e.LLM_API_KEY ?? '',
            model: e.LLM_MODEL,
            jsonMode: e.LLM_JSON_MODE,
            budgetMs: e.LLM_BUDGET_MS,
            dailyTokens: e.LLM_DAILY_TOKENS,
            breakerFailures: e.LLM_BREAKER_FAILURES,
            breakerCooldownSec: e.LLM_BREAKER_COOLDOWN_SEC,
            rephrase: e.LLM_REPHRASE,
          }
        : undefined,
    policy: {
      normalWaitMin: e.POLICY_NORMAL_WAIT_MIN,
      overdueMin: e.POLICY_OVERDUE_MIN,
      supplierSlaMin: e.POLICY_SUPPLIER_SLA_MIN,
      reviewMin: e.POLICY_REVIEW_MIN,
      firstScanHours: e.POLICY_FIRST_SCAN_HOURS,
      reviewHours: parseHours(e.POLICY_REVIEW_HOURS ?? e.AGENT_HOURS)!,
      agentHours: parseHours(e.AGENT_HOURS)!,
      ticketResponseHours: e.TICKET_RESPONSE_HOURS,
      timeZone: e.SHOP_TIMEZONE,
    },
    ticketResponseHours: e.TICKET_RESPONSE_HOURS,
    verify: { maxFailures: e.VERIFY_MAX_FAILURES, orderMaxFailures: e.VERIFY_ORDER_MAX_FAILURES, lockMinutes: e.VERIFY_LOCK_MIN },
    lookupRateLimit: { max: e.LOOKUP_RATE_LIMIT, perAddress: e.LOOKUP_ADDRESS_RATE_LIMIT, windowSec: e.LOOKUP_RATE_WINDOW_SEC },
    directLine: {
      secret: e.DIRECTLINE_SECRET,
      tokenTtlSec: e.DIRECTLINE_TOKEN_TTL_SEC,
      ratePerMin: e.DIRECTLINE_RATE_PER_MIN,
      allowedOrigins:
        e.DIRECTLINE_ALLOWED_ORIGINS.trim() === '*'
          ? '*'
          : e.DIRECTLINE_ALLOWED_ORIGINS.split(',')
              .map((o) => o.trim())
              .filter(Boolean),
    },
    uploads: { maxBytes: e.UPLOAD_MAX_BYTES, maxFiles: e.UPLOAD_MAX_FILES },
    agents: { hours: e.AGENT_HOURS, handleMin: e.AGENT_HANDLE_MIN, queueMaxMin: e.AGENT_QUEUE_MAX_MIN },
    wechat: {
      deadlineMs: e.WECHAT_REPLY_DEADLINE_MS,
      timestampWindowSec: e.WECHAT_TIMESTAMP_WINDOW_SEC,
      oa: e.WECHAT_OA_TOKEN
        ? {
            token: e.WECHAT_OA_TOKEN,
            appId: e.WECHAT_OA_APPID,
            appSecret: e.WECHAT_OA_APPSECRET,
            aesKey: e.WECHAT_OA_AES_KEY,
            apiBase: e.WECHAT_OA_API_BASE.replace(/\/+$/, ''),
            csQuota: e.WECHAT_OA_CS_QUOTA,
            csWindowHours: e.WECHAT_OA_CS_WINDOW_HOURS,
          }
        : undefined,
      wecom:
        e.WECOM_TOKEN && e.WECOM_AES_KEY && e.WECOM_CORP_ID && e.WECOM_AGENT_ID
          ? {
              corpId: e.WECOM_CORP_ID,
              agentId: e.WECOM_AGENT_ID,
              secret: e.WECOM_SECRET,
              token: e.WECOM_TOKEN,
              aesKey: e.WECOM_AES_KEY,
              apiBase: e.WECOM_API_BASE.replace(/\/+$/, ''),
            }
          : undefined,
    },
    botFramework: {
      appId: e.MICROSOFT_APP_ID,
      appPassword: e.MICROSOFT_APP_PASSWORD,
      tenantId: e.MICROSOFT_APP_TENANT_ID,
      appType: e.MICROSOFT_APP_TYPE,
      openIdMetadataUrl: e.BOTFRAMEWORK_OPENID_METADATA_URL,
      emulator: e.BOTFRAMEWORK_EMULATOR,
    },
  };
}

/**
 * `npm run eval -- --live <file or folder>`: the scenarios against the shop the environment
 * configures (ORDER_ADAPTER and its settings, from the environment and .env), so that a shop owner
 * can check the bot on their own orders. Each scenario runs on its own fixed clock (`now`); its
 * `orders` are not loaded (they must already exist in the shop) and the report says so; the bot's
 * own state (conversations, tickets, watches) is kept in memory, never in the owner's bot database.
 * A turn the shop could not answer is reported as such, with the shop's reason.
 */
import { type App, createApp } from '../app.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { ProofRequiredError, ShopUnavailableError } from '../orders/errors.js';
import { fixedClock } from '../time.js';
import { readerLine, report } from './report.js';
import { replay, type ScenarioResult, type TurnResult } from './runner.js';
import type { Scenario } from './scenario.js';

type Env = Record<string, string | undefined>;

/** Asked of the shop when a failed turn named no order number, to learn why it failed (a harmless miss). */
const PROBE_ORDER_NO = 'EVAL-LIVE-PROBE-0000';

/** The environment with what a live run always overrides. */
export function liveEnv(env: Env): Env {
  return {
    ...env,
    // The bot's own state must never reach the owner's real bot database (SQLite file or PostgreSQL).
    DATABASE_FILE: ':memory:',
    DATABASE_URL: undefined,
    LOG_LEVEL: env.LOG_LEVEL || 'silent',
    DEMO_SEED: 'false',
    // Nothing listens for pushes during an evaluation: no Kuaidi100 subscriptions pointing at the bot.
    PUBLIC_BASE_URL: undefined,
  };
}

/** The configuration of a live run; ConfigError with the one-line message when it cannot be one. */
export function liveConfig(env: Env): Config {
  const config = loadConfig(liveEnv(env));
  if (config.orderAdapter === 'demo')
    throw new ConfigError(
      'eval --live checks the bot against your own shop, but ORDER_ADAPTER is demo (or unset): there is no live shop to read. ' +
        'Set ORDER_ADAPTER (dujiaoka, acgfaka, dujiao-next or http) and its settings in the environment or .env, ' +
        'or leave out --live to run the scenarios on their own orders in the demo shop.',
    );
  return config;
}

function shopUrl(s: Config['shop']): string | undefined {
  switch (s.adapter) {
    case 'http':
      return s.http.SHOP_API_BASE;
    case 'dujiao-next':
      return s.dujiaoNext.SHOP_API_BASE;
    case 'dujiaoka':
      return s.dujiaoka.SHOP_DATABASE_URL;
    case 'acgfaka':
      return s.acgfaka.SHOP_DATABASE_URL;
    default:
      return undefined;
  }
}

/** Where the shop is, without credentials: "http://shop.example.com/bot-api", "mysql db.example.com:3306/dujiaoka". */
export function shopLocation(config: Config): string | undefined {
  const url = shopUrl(config.shop);
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'mysql:' ? `mysql ${u.host}${u.pathname}` : `${u.origin}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return undefined;
  }
}

/** The report's header line: which adapter, and that orders come from the live shop. */
export function liveHeader(config: Config): string {
  const where = shopLocation(config);
  return (
    `live: ORDER_ADAPTER=${config.orderAdapter}, orders come from the live shop${where ? ` (${where})` : ''}, not from the scenarios; ` +
    'each scenario runs on its own clock ("now"); the bot\'s own state is kept in memory'
  );
}

/** Why the shop failed, asked again directly (the bot's answer does not say); empty when it answers now. */
async function reason(app: App, config: Config, turn: TurnResult): Promise<string> {
  try {
    await app.orders.findByOrderNo(turn.outcome?.slots.orderNo ?? PROBE_ORDER_NO);
    return '';
  } catch (err) {
    if (err instanceof ProofRequiredError) return '';
    if (!(err instanceof ShopUnavailableError)) return ` (the ${config.orderAdapter} adapter failed: ${(err as Error)?.message ?? String(err)})`;
    return ` (${err.message})`;
  }
}

async function shopDownLine(app: App, config: Config, turn: TurnResult, remaining: number): Promise<string> {
  const why = await reason(app, config, turn);
  const what = why ? `the shop could not be reached${why}` : 'the shop could not be reached during this turn (it answers again now; LOG_LEVEL=warn shows its error)';
  return `${what}; the bot answered 系统查询暂时不可用 instead of the order${remaining > 0 ? `; the remaining ${remaining} turn(s) were not run` : ''}`;
}

/** One scenario against the live shop, on the scenario's clock, without its orders. */
export async function runLiveScenario(s: Scenario, config: Config): Promise<ScenarioResult> {
  let app: App;
  try {
    app = await createApp({ config, clock: fixedClock(s.now) });
  } catch (err) {
    const why = err instanceof ShopUnavailableError ? `the shop could not be reached (${err.message})` : `the bot could not start: ${(err as Error)?.message ?? String(err)}`;
    return { name: s.name, turns: [], failures: [why] };
  }
  try {
    return await replay(app, s, { shopDown: (turn, remaining) => shopDownLine(app, config, turn, remaining) });
  } finally {
    await app.close();
  }
}

export interface LiveOptions {
  /** The process environment (with .env already loaded, as the command line does). */
  env: Env;
  repeat?: number;
  verbose?: boolean;
  print?: (line: string) => void;
  printError?: (line: string) => void;
}

/** The whole live evaluation with its report; resolves to the exit code (0 all passed, 1 a failure, 2 no usable configuration). */
export async function runLive(targets: string[], opts: LiveOptions): Promise<number> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const printError = opts.printError ?? ((line: string) => console.error(line));
  const repeat = opts.repeat ?? 1;
  let config: Config;
  try {
    config = liveConfig(opts.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printError(err.message);
    return 2;
  }
  print(liveHeader(config));
  print(readerLine(opts.env, repeat));
  return report(targets, {
    repeat,
    verbose: opts.verbose ?? false,
    print,
    run: (s) => runLiveScenario(s, config),
    note: (s) => (s.orders.length > 0 ? `has ${s.orders.length} order(s) of its own: not loaded (--live reads orders from the shop)` : undefined),
  });
}

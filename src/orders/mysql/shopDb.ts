/**
 * A read-only connection pool to a shop's own MySQL/MariaDB database (dujiaoka, acg-faka): prepared
 * statements, a time limit per query, and every failure turned into `ShopUnavailableError` so that a
 * buyer is never told "not found" because the database was down.
 *
 * Times: the shops write wall-clock strings (Asia/Shanghai; SHOP_DATABASE_TIMEZONE). Rows come back
 * as strings (`dateStrings`), never converted with the process's zone, and the session's zone is
 * never changed: dujiaoka's TIMESTAMP columns read back exactly as it wrote them only in the
 * server's default session zone, which is also the one dujiaoka itself uses.
 */
import mysql from 'mysql2/promise';
import type pino from 'pino';
import { fromLocal, toShopIso } from '../../time.js';
import { ShopUnavailableError } from '../errors.js';

export interface ShopDbSettings {
  SHOP_DATABASE_URL: string;
  SHOP_DATABASE_POOL_SIZE: number;
  SHOP_QUERY_TIMEOUT_MS: number;
}

const DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'POOL_CLOSED']);
const REFUSED = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR',
  'ER_BAD_DB_ERROR',
]);

export class ShopDb {
  private readonly pool: mysql.Pool;
  private readonly timeoutMs: number;

  constructor(
    readonly system: string,
    settings: ShopDbSettings,
    private readonly logger: pino.Logger,
  ) {
    this.timeoutMs = settings.SHOP_QUERY_TIMEOUT_MS;
    this.pool = mysql.createPool({
      uri: settings.SHOP_DATABASE_URL,
      connectionLimit: settings.SHOP_DATABASE_POOL_SIZE,
      // A buyer waits for the answer: connecting may take no longer than a query.
      connectTimeout: Math.max(1000, settings.SHOP_QUERY_TIMEOUT_MS),
      waitForConnections: true,
      queueLimit: settings.SHOP_DATABASE_POOL_SIZE * 20,
      dateStrings: true,
      // decimal(10,2) stays a string ("19.90"): money is never a float here.
      decimalNumbers: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
      enableKeepAlive: true,
      maxIdle: settings.SHOP_DATABASE_POOL_SIZE,
      idleTimeout: 60_000,
    });
    // An idle connection the server dropped is replaced on next use; it must not become an uncaught error.
    this.pool.on('connection', (conn) => {
      (conn as unknown as { on(ev: string, fn: (e: unknown) => void): void }).on('error', (err) => this.logger.warn({ err: brief(err), system }, 'shop database connection error'));
    });
  }

  /** Runs one prepared SELECT; rows, or ShopUnavailableError. Parameters are never logged (buyer data). */
  async rows<T>(sql: string, params: Array<string | number | null>): Promise<T[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // Waiting for a pool slot counts too: the whole call has the query's time plus the connect time.
      timer = setTimeout(() => reject(Object.assign(new Error('query deadline'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' })), this.timeoutMs * 2 + 500);
    });
    try {
      const [rows] = await Promise.race([this.pool.execute({ sql, timeout: this.timeoutMs }, params), deadline]);
      return rows as T[];
    } catch (err) {
      throw this.failure(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(err: unknown): ShopUnavailableError {
    const code = (err as { code?: string }).code ?? '';
    const reason = code === 'PROTOCOL_SEQUENCE_TIMEOUT' ? 'timeout' : DOWN.has(code) ? 'down' : REFUSED.has(code) ? 'refused' : 'bad_response';
    // A missing grant or table is the owner's set-up to fix: say so loudly, once per query failure.
    const log = reason === 'refused' ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
    log(
      { system: this.system, reason, err: brief(err) },
      reason === 'refused' ? "shop database refused the bot's query: check the read-only grant (README: Connect your shop)" : 'shop database unavailable',
    );
    return new ShopUnavailableError(this.system, reason, code || 'error');
  }

  /** At start-up: whether the grant lets us read these tables (logged, never fatal: the shop may come up later). */
  async probe(tables: string[]): Promise<void> {
    for (const t of tables) {
      try {
        await this.rows(`SELECT 1 FROM \`${t}\` LIMIT 1`, []);
      } catch (err) {
        if (!(err instanceof ShopUnavailableError) || err.reason !== 'refused') return; // down: already logged
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

function brief(err: unknown): { code?: string; message?: string } {
  const e = err as { code?: string; message?: string };
  return { code: e?.code, message: e?.message?.slice(0, 200) };
}

/** "2025-03-01 12:00:00" in the shop database's zone → an ISO instant with the shop's offset; zero or empty dates → undefined. */
export function shopInstant(value: string | null | undefined, dbZone: string, shopZone: string): string | undefined {
  if (!value) return undefined;
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)/.exec(value);
  if (!m || m[1] === '0000') return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return toShopIso(fromLocal(dbZone, y!, mo!, d!, h!, mi!, s!), shopZone);
}

/** An instant → the wall-clock string the shop's database compares with ("YYYY-MM-DD HH:MM:SS"). */
export function shopWallClock(at: Date, dbZone: string): string {
  return toShopIso(at, dbZone).slice(0, 19).replace('T', ' ');
}

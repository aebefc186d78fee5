/**
 * The one door to a relational database. The repositories (./sql/) write portable SQL with `?`
 * placeholders; a backend (./sqlite/, ./postgres/) runs it. Transactions are ambient: inside
 * `tx(fn)`, every statement any repository runs in `fn`'s async context is part of it, so callers
 * compose repositories without passing a connection around.
 */
export type Param = string | number | bigint | boolean | null | Buffer;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** Runs a statement; the number of rows it changed (or returned, with RETURNING). */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /**
   * Runs `fn` in one transaction (all or nothing). A `tx` inside a `tx` joins the outer one.
   * Only database work belongs inside: on SQLite the transaction holds the file's write lock.
   */
  tx<T>(fn: () => Promise<T>): Promise<T>;
  /** Whether the caller is inside a transaction. */
  inTx(): boolean;
  /** `FOR UPDATE` where the database has row locks (PostgreSQL); SQLite's write lock covers it. */
  readonly forUpdate: string;
  /** `FOR UPDATE SKIP LOCKED` on PostgreSQL: rows another instance is working on are passed over. */
  readonly skipLocked: string;
}

/** The first column of the first row. */
export async function value<T>(sql: Sql, text: string, params: readonly Param[] = []): Promise<T | undefined> {
  const row = await sql.get<Record<string, T>>(text, params);
  return row ? Object.values(row)[0] : undefined;
}

/** Errors worth running a transaction again for: SQLite busy, PostgreSQL serialization or deadlock. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'SQLITE_BUSY' || code === '40001' || code === '40P01';
}

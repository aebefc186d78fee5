/**
 * A turn's writes, committed together. Channel adapters open one unit of work per turn; while it
 * is open, the stores that take part (bot state, the transcript, the Direct Line log, the WeChat
 * outbox) do not write at once but hand their write to it, and the adapter commits them all in one
 * IMMEDIATE transaction when the turn ends. Only then does anyone see a reply (sockets are told,
 * the HTTP answer goes out). So a turn is all or nothing: its replies are never seen without its
 * state, and a process killed mid-turn leaves nothing behind that a client's retry would repeat.
 *
 * A failing turn (the adapter's error handler) discards its effects; writes marked `keep` (the
 * buyer's own message, the transcript) stay, and the apology is written with them. Stores that are
 * not part of the turn (tickets, handoffs, files) write at once, as they always did.
 *
 * The unit of work travels with the turn's async context (AsyncLocalStorage), so stores need no
 * extra parameter; outside a turn, or once a unit is committed, writes run at once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Sql, isTransient } from './sql.js';

interface Write {
  run: () => Promise<unknown> | unknown;
  /** After the commit (tell sockets, kick a sender). */
  after?: () => void;
  /** Survives `discard()` (the inbound message, the transcript). */
  keep: boolean;
}

const context = new AsyncLocalStorage<UnitOfWork>();
const RETRIES = 6;

export class UnitOfWork {
  private writes: Write[] = [];
  private discarded: Array<() => void> = [];
  private open = true;

  constructor(private readonly sql: Sql) {}

  /** The unit of work of the running turn, while it is open. */
  static current(): UnitOfWork | undefined {
    const u = context.getStore();
    return u?.open ? u : undefined;
  }

  /** Writes now, or as part of the running turn's commit. `after` runs once it is committed. */
  static async write(run: () => Promise<unknown> | unknown, opts: { after?: () => void; keep?: boolean } = {}): Promise<void> {
    const u = UnitOfWork.current();
    if (!u) {
      await run();
      opts.after?.();
      return;
    }
    u.writes.push({ run, after: opts.after, keep: !!opts.keep });
  }

  /** Called when the running turn's effects are discarded (to forget what it collected). */
  static onDiscard(fn: () => void): void {
    UnitOfWork.current()?.discarded.push(fn);
  }

  /** Runs the turn with this unit of work as its context. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return context.run(this, fn);
  }

  /** The turn failed: forget its effects except the kept writes. */
  discard(): void {
    this.writes = this.writes.filter((w) => w.keep);
    for (const fn of this.discarded.splice(0)) fn();
  }

  /** The turn could not even apologise: nothing of it is written. */
  abandon(): void {
    this.open = false;
    this.writes = [];
  }

  /**
   * Writes everything in one transaction, then runs the `after` callbacks. A transaction the
   * database refuses for now (SQLite busy beyond its timeout, a PostgreSQL serialization failure
   * or deadlock) is run again a few times, waiting asynchronously; if it keeps failing, the commit
   * throws and nothing of the turn is seen.
   */
  async commit(): Promise<void> {
    this.open = false;
    const writes = this.writes;
    this.writes = [];
    if (writes.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sql.tx(async () => {
          for (const w of writes) await w.run();
        });
        break;
      } catch (err) {
        if (!isTransient(err) || attempt >= RETRIES) throw err;
        await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
      }
    }
    for (const w of writes) w.after?.();
  }
}

/** Runs one turn in a unit of work of its own and commits it (or throws, having written nothing of it). */
export async function inUnitOfWork<T>(sql: Sql, turn: () => Promise<T>): Promise<T> {
  const unit = new UnitOfWork(sql);
  let result: T;
  try {
    result = await unit.run(turn);
  } catch (err) {
    unit.abandon();
    throw err;
  }
  await unit.commit();
  return result;
}

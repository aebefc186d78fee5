/**
 * What instances share over PostgreSQL, with no other server to run:
 * - the conversation lock is a session advisory lock, taken on a connection of a pool of its own
 *   (a turn holding it never competes with its own queries for a connection); a killed instance's
 *   connections close, and its locks with them;
 * - the bus is LISTEN/NOTIFY on one control connection per instance (payloads are ids, under 8 kB);
 * - leadership is an advisory lock the control connection tries to take every few seconds: one
 *   instance holds it, and when that instance dies another takes it within one interval;
 * - liveness: each instance holds an advisory lock named after itself, so "is instance X still
 *   running?" is "could I take X's lock?";
 * - presence is a table of (instance, agent) rows refreshed while the console is open; rows of
 *   instances that are gone stop counting when their refresh stops.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type pino from 'pino';
import { type Bus, type BusEvents, type ConversationLock, type Leadership, LocalLock, type Presence, type Topic } from '../cluster.js';
import type { Sql } from '../sql.js';

const CHANNEL = 'kamen_bus';
/** Advisory lock namespaces (the two-int form): one per use. */
const NS = { conversation: 1, instance: 2, leader: 3 } as const;
const LEADER_POLL_MS = 3000;
const PRESENCE_REFRESH_MS = 10_000;
const PRESENCE_STALE_MS = 30_000;

export class PgCluster {
  readonly bus: Bus;
  readonly lock: ConversationLock;
  readonly leader: Leadership;
  readonly presence: Presence;
  private control?: pg.Client;
  private readonly emitter = new EventEmitter();
  private leading = false;
  private readonly leaderListeners: Array<(leader: boolean) => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly local = new LocalLock();

  constructor(
    readonly instance: string,
    private readonly url: string,
    private readonly sql: Sql,
    private readonly lockPool: pg.Pool,
    private readonly logger: pino.Logger,
  ) {
    this.emitter.setMaxListeners(0);
    const self = this;
    this.bus = {
      publish<T extends Topic>(topic: T, payload: BusEvents[T]) {
        self.emitter.emit(topic, payload); // this instance at once
        const message = JSON.stringify({ from: self.instance, topic, payload });
        if (Buffer.byteLength(message) > 7900) return void self.logger.error({ topic }, 'bus: payload too large for NOTIFY, other instances not told');
        void self.sql.run('SELECT pg_notify(?, ?)', [CHANNEL, message]).catch((err) => self.logger.warn({ err, topic }, 'bus: publish failed'));
      },
      subscribe<T extends Topic>(topic: T, fn: (payload: BusEvents[T]) => void) {
        self.emitter.on(topic, fn);
        return () => self.emitter.off(topic, fn);
      },
    };
    this.lock = { run: (key, work) => this.local.run(key, () => this.withAdvisoryLock(key, work)) };
    this.leader = {
      isLeader: () => this.leading,
      onChange: (fn) => {
        this.leaderListeners.push(fn);
        if (this.leading) fn(true);
      },
    };
    const agents = new Map<string, number>();
    const refresh = async (agentId: string) =>
      this.sql.run('INSERT INTO agent_presence (instance, agent_id, seen_at) VALUES (?, ?, ?) ON CONFLICT (instance, agent_id) DO UPDATE SET seen_at = excluded.seen_at', [
        this.instance,
        agentId,
        Date.now(),
      ]);
    this.presence = {
      here: async (agentId) => {
        agents.set(agentId, (agents.get(agentId) ?? 0) + 1);
        await refresh(agentId);
      },
      gone: async (agentId) => {
        const n = (agents.get(agentId) ?? 0) - 1;
        if (n > 0) return void agents.set(agentId, n);
        agents.delete(agentId);
        await this.sql.run('DELETE FROM agent_presence WHERE instance = ? AND agent_id = ?', [this.instance, agentId]);
      },
      online: async () => {
        const row = await this.sql.get<{ n: number }>('SELECT COUNT(DISTINCT agent_id) AS n FROM agent_presence WHERE seen_at > ?', [Date.now() - PRESENCE_STALE_MS]);
        return Number(row?.n ?? 0);
      },
      agentIds: async () =>
        (await this.sql.all<{ agent_id: string }>('SELECT DISTINCT agent_id FROM agent_presence WHERE seen_at > ?', [Date.now() - PRESENCE_STALE_MS])).map((r) => r.agent_id),
    };
    this.timers.push(
      setInterval(() => {
        for (const id of agents.keys()) void refresh(id).catch(() => undefined);
      }, PRESENCE_REFRESH_MS),
    );
  }

  /** Connects the control connection: LISTEN, this instance's liveness lock, the leader loop. */
  async start(): Promise<void> {
    await this.connect();
    const tick = setInterval(() => void this.tryLead(), LEADER_POLL_MS);
    this.timers.push(tick);
    for (const t of this.timers) t.unref();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: `kamen-control-${this.instance}` });
    client.on('error', (err) => {
      this.logger.error({ err }, 'cluster: control connection lost');
      this.lostControl(client);
    });
    client.on('end', () => this.lostControl(client));
    await client.connect();
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      try {
        const m = JSON.parse(n.payload) as { from: string; topic: Topic; payload: unknown };
        if (m.from !== this.instance) this.emitter.emit(m.topic, m.payload);
      } catch {
        this.logger.warn('bus: unreadable notification');
      }
    });
    await client.query(`LISTEN ${CHANNEL}`);
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [NS.instance, this.instance]);
    this.control = client;
    await this.tryLead();
  }

  private lostControl(client: pg.Client): void {
    if (this.control !== client) return;
    this.control = undefined;
    this.setLeading(false);
    if (!this.closed) this.reconnectLater();
  }

  /** Until the control connection is back, this instance neither leads nor hears the bus. */
  private reconnectLater(): void {
    const retry = setTimeout(
      () =>
        void this.connect().catch((err) => {
          this.logger.error({ err }, 'cluster: reconnect failed');
          if (!this.closed) this.reconnectLater();
        }),
      1000,
    );
    retry.unref();
  }

  private async tryLead(): Promise<void> {
    const c = this.control;
    if (!c || this.leading || this.closed) return;
    try {
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, 0) AS ok', [NS.leader]);
      if (r.rows[0]?.ok) this.setLeading(true);
    } catch (err) {
      this.logger.warn({ err }, 'cluster: leader check failed');
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.logger.info({ instance: this.instance, leader: leading }, leading ? 'cluster: this instance runs the timers' : 'cluster: no longer the leader');
    for (const fn of this.leaderListeners) fn(leading);
  }

  async alive(instance: string): Promise<boolean> {
    if (instance === this.instance) return true;
    const c = await this.lockPool.connect();
    try {
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [NS.instance, instance]);
      if (!r.rows[0]?.ok) return true;
      await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [NS.instance, instance]);
      return false;
    } finally {
      c.release();
    }
  }

  /** Runs `work` holding the conversation's advisory lock (waiting for whoever holds it elsewhere). */
  private async withAdvisoryLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const c = await this.lockPool.connect();
    let healthy = true;
    try {
      await c.query('SELECT pg_advisory_lock($1, hashtext($2))', [NS.conversation, key]);
      try {
        return await work();
      } finally {
        await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [NS.conversation, key]).catch(() => {
          healthy = false;
        });
      }
    } catch (err) {
      healthy = healthy && !(err instanceof Error && /terminat|connection/i.test(err.message));
      throw err;
    } finally {
      // A connection whose unlock failed may still hold the lock: never give it to someone else.
      c.release(!healthy);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.sql.run('DELETE FROM agent_presence WHERE instance = ?', [this.instance]).catch(() => undefined);
    this.setLeading(false);
    const c = this.control;
    this.control = undefined;
    await c?.end().catch(() => undefined);
  }
}

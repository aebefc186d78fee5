import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, requirePostgres } from './postgres.js';

describe('the test PostgreSQL server (globalSetup)', () => {
  let url: string;
  const clients: pg.Client[] = [];

  const connect = async (connectionString: string): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString });
    clients.push(client);
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    url = await createDatabase(requirePostgres(), 'support');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  });

  it('gives each caller a fresh database', async () => {
    const other = await createDatabase(requirePostgres());
    expect(other).not.toBe(url);
    const a = await connect(url);
    const b = await connect(other);
    const name = async (c: pg.Client) => (await c.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db;
    expect(await name(a)).toBe(new URL(url).pathname.slice(1));
    expect(await name(b)).toBe(new URL(other).pathname.slice(1));
    expect((await a.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect((await a.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]?.n).toBe('0');
    expect((await a.query<{ server_encoding: string }>('SHOW server_encoding')).rows[0]).toEqual({ server_encoding: 'UTF8' });
  });

  it('advisory locks are exclusive across connections', async () => {
    const a = await connect(url);
    const b = await connect(url);
    const tryLock = async (c: pg.Client) => (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(42) AS ok')).rows[0]?.ok;
    await a.query('SELECT pg_advisory_lock(42)');
    expect(await tryLock(b)).toBe(false);
    await a.query('SELECT pg_advisory_unlock(42)');
    expect(await tryLock(b)).toBe(true);
    await b.query('SELECT pg_advisory_unlock(42)');
  });

  it('LISTEN/NOTIFY delivers across connections', async () => {
    const listener = await connect(url);
    const notifier = await connect(url);
    await listener.query('LISTEN order_events');
    const received = new Promise<pg.Notification>((resolve) => listener.once('notification', resolve));
    await notifier.query(`NOTIFY order_events, '{"orderNo":"K1001"}'`);
    const message = await received;
    expect(message.channel).toBe('order_events');
    expect(JSON.parse(message.payload ?? '')).toEqual({ orderNo: 'K1001' });
  });
});

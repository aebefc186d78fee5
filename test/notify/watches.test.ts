/**
 * The notify-me watch store on both backends: one active watch per conversation and order, claims
 * that two instances never share, wake-ups, and a fingerprint recorded only once (compare-and-set).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewWatch } from '../../src/notify/watches.js';
import { type Store, openStore } from '../../src/storage/index.js';
import { createDatabase, requirePostgres } from '../support/postgres.js';

const silent = pino({ level: 'silent' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-watch-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const backends: Array<[string, () => Promise<Store[]>]> = [
  ['sqlite', async () => [await openStore({ databaseFile: path.join(dir, 'w.sqlite'), logger: silent })]],
  [
    'postgres',
    async () => {
      const url = await createDatabase(requirePostgres(), 'watches');
      return [
        await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: silent, poolSize: 4, instance: 'a' }),
        await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: silent, poolSize: 4, instance: 'b' }),
      ];
    },
  ],
];

const watch = (id: string, orderNo: string, conversationId = 'c1', at = 1000): NewWatch => ({
  id,
  channelId: 'directline',
  conversationId,
  userId: 'u',
  orderNo,
  conversationRef: { conversation: { id: conversationId } },
  masked: false,
  fingerprint: 'paid||',
  intervalMin: 2,
  nextCheckAt: at,
  expiresAt: at + 3_600_000,
  createdAt: at,
});

describe.each(backends)('order watches on %s', (_name, open) => {
  it('holds, claims, wakes and records each change once', async () => {
    const stores = await open();
    const [a, b = stores[0]!] = stores as [Store, Store?];
    try {
      const repo = a.repos.watches;
      expect(await repo.add(watch('w1', 'ORDER1'))).toBe(true);
      // The same conversation and order: no second watch.
      expect(await repo.add(watch('w2', 'ORDER1'))).toBe(false);
      expect(await repo.add(watch('w3', 'ORDER2', 'c2'))).toBe(true);
      // Two instances claim at once: each watch goes to one of them.
      const [x, y] = await Promise.all([a.repos.watches.claimDue(2000, 60_000, 'a', 50), b.repos.watches.claimDue(2000, 60_000, 'b', 50)]);
      const claimed = [...x, ...y].map((w) => w.id).sort();
      expect(claimed).toEqual(['w1', 'w3']);
      // Claimed: nobody else gets them until released.
      expect(await repo.claimDue(2500, 60_000, 'c', 50)).toEqual([]);
      await repo.reschedule('w1', { nextCheckAt: 10_000, intervalMin: 4, failures: 0 }, 2600);
      expect(await repo.claimDue(3000, 60_000, 'c', 50)).toEqual([]);
      // A shop event makes it due now.
      expect(await repo.wake('ORDER1', 3000)).toBe(1);
      const due = await repo.claimDue(3000, 60_000, 'c', 50);
      expect(due.map((w) => w.id)).toEqual(['w1']);
      // Told once: the second attempt with the old fingerprint records nothing.
      expect(await repo.markNotified('w1', 'paid||', 'delivered||codes:1', 'done', 3100)).toBe(true);
      expect(await repo.markNotified('w1', 'paid||', 'delivered||codes:1', 'done', 3200)).toBe(false);
      expect(await repo.count('done')).toBe(1);
      // Done: a new watch on that order may start again.
      expect(await repo.add(watch('w4', 'ORDER1', 'c1', 4000))).toBe(true);
      expect(await repo.stop({ channelId: 'directline', conversationId: 'c1' }, 5000)).toBe(1);
      expect(await repo.active({ channelId: 'directline', conversationId: 'c1' })).toEqual([]);
      expect((await repo.active({ channelId: 'directline', conversationId: 'c2' })).map((w) => w.orderNo)).toEqual(['ORDER2']);
    } finally {
      for (const s of new Set(stores)) await s.close();
    }
  });
});

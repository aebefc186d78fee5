/** The WeChat outbox across instances: a message claimed by an instance that died mid-send goes out again at once. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/channels/wechat/outbox.js';
import { loadConfig } from '../../../src/config.js';
import { openStore } from '../../../src/storage/index.js';
import { TicketService } from '../../../src/tickets/index.js';
import { until } from '../../helpers.js';

describe('WeChat outbox', () => {
  it('sends again, without waiting out the lease, what a dead instance had claimed', async () => {
    const store = await openStore({ databaseFile: ':memory:', logger: pino({ level: 'silent' }) });
    try {
      const repo = store.repos.wechat;
      await repo.enqueue('wechat', 'o-user', 'wechat:o-user', ['你的卡密已补发'], Date.now(), null);
      // The instance that claimed it (60 s lease) was killed before it could send.
      expect(await repo.claimDue('wechat', Date.now(), 60_000, 'dead-instance')).toHaveLength(1);
      const sent: string[] = [];
      const outbox = new Outbox(
        repo,
        { sendText: async (_user, text) => void sent.push(text) },
        new TicketService(store.repos.tickets, loadConfig({ DATABASE_FILE: ':memory:' }).policy),
        { channel: 'wechat', windows: false, instance: 'me', alive: async (other) => other === 'me', intervalMs: 60_000 },
        pino({ level: 'silent' }),
      );
      outbox.start();
      await until(() => sent.length === 1, 3000);
      expect(sent).toEqual(['你的卡密已补发']);
      outbox.stop();
    } finally {
      await store.close();
    }
  });
});

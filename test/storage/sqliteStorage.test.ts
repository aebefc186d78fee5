import { ConversationState, TestAdapter } from 'botbuilder';
import { type DialogState, DialogSet, TextPrompt, WaterfallDialog } from 'botbuilder-dialogs';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../src/storage/db.js';
import { MIGRATIONS } from '../../src/storage/migrations.js';
import { SqliteStorage } from '../../src/storage/sqliteStorage.js';

const fresh = () => new SqliteStorage(openDatabase(':memory:'));

describe('SqliteStorage (botbuilder Storage contract)', () => {
  it('reads unknown keys as absent and gives created items an eTag', async () => {
    const s = fresh();
    expect(await s.read(['nope'])).toEqual({});
    await s.write({ a: { n: 1 } });
    const r = await s.read(['a', 'nope']);
    expect(Object.keys(r)).toEqual(['a']);
    expect(r.a).toMatchObject({ n: 1 });
    expect(typeof r.a!.eTag).toBe('string');
  });

  it('accepts odd keys', async () => {
    const s = fresh();
    const key = '!@#$%^&*()~/\\><,.?\';"`~';
    await s.write({ [key]: { v: 'x' } });
    expect((await s.read([key]))[key]).toMatchObject({ v: 'x' });
  });

  it('updates with the current eTag, rejects a stale one, overwrites with * or no eTag', async () => {
    const s = fresh();
    await s.write({ k: { v: 1 } });
    const first = (await s.read(['k'])).k!;
    await s.write({ k: { ...first, v: 2 } });
    const second = (await s.read(['k'])).k!;
    expect(second.eTag).not.toBe(first.eTag);
    await expect(s.write({ k: { ...first, v: 3 } })).rejects.toThrow('Storage: error writing "k" due to eTag conflict.');
    expect((await s.read(['k'])).k).toMatchObject({ v: 2 });
    await s.write({ k: { v: 4, eTag: '*' } });
    await s.write({ k: { v: 5 } });
    expect((await s.read(['k'])).k).toMatchObject({ v: 5 });
  });

  it('writes a batch all or nothing', async () => {
    const s = fresh();
    await s.write({ a: { v: 1 } });
    const stale = { v: 9, eTag: 'stale' };
    await expect(s.write({ b: { v: 2 }, a: stale })).rejects.toThrow(/eTag conflict/);
    expect(await s.read(['b'])).toEqual({});
  });

  it('deletes, ignores unknown keys, and accepts empty batches', async () => {
    const s = fresh();
    await s.write({ a: { v: 1 }, b: { v: 2 } });
    await s.delete(['a', 'unknown']);
    expect(Object.keys(await s.read(['a', 'b']))).toEqual(['b']);
    await s.write({});
  });

  it('runs a waterfall dialog end to end', async () => {
    const convo = new ConversationState(fresh());
    const dialogs = new DialogSet(convo.createProperty<DialogState>('d'));
    dialogs.add(new TextPrompt('text'));
    dialogs.add(
      new WaterfallDialog('w', [
        async (st) => st.prompt('text', '请提供订单号'),
        async (st) => {
          await st.context.sendActivity(`收到 ${st.result}`);
          return st.endDialog();
        },
      ]),
    );
    const adapter = new TestAdapter(async (ctx) => {
      const dc = await dialogs.createContext(ctx);
      const r = await dc.continueDialog();
      if (r.status === 'empty') await dc.beginDialog('w');
      await convo.saveChanges(ctx);
    });
    await adapter.send('hi').assertReply('请提供订单号').send('KM20241111').assertReply('收到 KM20241111').startTest();
  });

  it('applies migrations once, in order', () => {
    const db = openDatabase(':memory:');
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(migrate(db)).toBe(0);
  });
});

/**
 * `npm run eval -- --live` against each real shop adapter: dujiaoka and acg-faka on MariaDB, and
 * Dujiao-Next through its API fake. The scenarios carry no orders: the shop's own rows answer.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveConfig, runLiveScenario } from '../../src/eval/live.js';
import { Scenario } from '../../src/eval/scenario.js';
import { type FakeDujiaoNext, startFakeDujiaoNext } from '../fakes/dujiaoNext.js';
import { createShopDatabase, mariadbForTests, type ShopDatabase, shopFixture } from '../support/mariadb.js';

const maria = mariadbForTests();
const scenario = (name: string) => Scenario.parse(JSON.parse(fs.readFileSync(new URL(`../fixtures/live-shops/${name}`, import.meta.url), 'utf8')));

describe.skipIf(maria.skip)('eval --live on the database shops', () => {
  let dk: ShopDatabase;
  let af: ShopDatabase;
  beforeAll(async () => {
    dk = await createShopDatabase(maria.url(), shopFixture('dujiaoka.sql') + shopFixture('dujiaoka-orders.sql'), ['orders', 'goods']);
    af = await createShopDatabase(maria.url(), shopFixture('acgfaka.sql', 'acg_') + shopFixture('acgfaka-orders.sql', 'acg_'), [
      'acg_order',
      'acg_commodity',
      'acg_card(order_id)',
    ]);
  });
  afterAll(async () => {
    await dk?.drop();
    await af?.drop();
  });

  it('dujiaoka', async () => {
    const r = await runLiveScenario(scenario('dujiaoka.json'), liveConfig({ ORDER_ADAPTER: 'dujiaoka', SHOP_DATABASE_URL: dk.url, SHOP_PRODUCT_TYPES: 'group:2=phone_topup' }));
    expect(r.failures).toEqual([]);
  });

  it('acg-faka', async () => {
    const r = await runLiveScenario(scenario('acgfaka.json'), liveConfig({ ORDER_ADAPTER: 'acgfaka', SHOP_DATABASE_URL: af.url }));
    expect(r.failures).toEqual([]);
  });
});

describe('eval --live on Dujiao-Next', () => {
  let fake: FakeDujiaoNext;
  beforeAll(async () => {
    fake = await startFakeDujiaoNext();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('asks for the proof, then answers from the shop', async () => {
    const r = await runLiveScenario(scenario('dujiao-next.json'), liveConfig({ ORDER_ADAPTER: 'dujiao-next', SHOP_API_BASE: fake.url }));
    expect(r.failures).toEqual([]);
  });
});

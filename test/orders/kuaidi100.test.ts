import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrderEventHub, type OrderChange } from '../../src/orders/events.js';
import { type Delivery, UnifiedOrder, type UnifiedOrderInput } from '../../src/orders/model.js';
import type { OrderService } from '../../src/orders/port.js';
import { kuaidi100Hooks, PUSH_OK } from '../../src/orders/tracking/hooks.js';
import {
  applyTracking,
  carrierVerdict,
  Kuaidi100Client,
  type MappingOptions,
  parseKuaidi100Time,
  parseQueryAnswer,
  pushSign,
  querySign,
  queryParam,
  subscribeParam,
  Tracker,
  type TrackResult,
  trackerFromSettings,
  withTracking,
} from '../../src/orders/tracking/index.js';
import { FIXTURES, type FakeKuaidi100, sendPush, startFakeKuaidi100, TEST_CUSTOMER, TEST_KEY, TEST_SALT } from '../fakes/kuaidi100.js';

const NOW = '2026-03-03T09:00:00+08:00';
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A clock the test moves by hand. */
function manualClock(at: string) {
  let t = Date.parse(at);
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms), set: (iso: string) => void (t = Date.parse(iso)) };
}

const parcel = (o: Partial<UnifiedOrderInput> = {}, d: Partial<Extract<Delivery, { kind: 'tracking_number' }>> = {}): UnifiedOrder =>
  UnifiedOrder.parse({
    orderNo: 'SHIP4DONE0000001',
    status: 'shipped',
    productType: 'physical_card',
    title: '实体充值卡 100元（圆通）',
    createdAt: '2026-03-02T10:00:00+08:00',
    paidAt: '2026-03-02T10:01:00+08:00',
    timeline: [{ at: '2026-03-02T16:00:00+08:00', type: 'shipped', source: 'operator', text: '已发货' }],
    delivery: { kind: 'tracking_number', carrierCode: 'yuantong', trackingNo: 'YT0000000001', phoneTail: '5678', shippedAt: '2026-03-02T16:00:00+08:00', ...d },
    ...o,
  });

const track = (state: string, o: Partial<TrackResult> = {}): TrackResult => ({
  com: 'yuantong',
  nu: 'YT0000000001',
  state,
  ischeck: '0',
  data: [
    { time: '2026-03-03 08:10:00', ftime: '2026-03-03 08:10:00', context: '【深圳市】快件正在派送中' },
    { time: '2026-03-02 16:56:21', ftime: '2026-03-02 16:56:21', context: '【东莞市】已揽收' },
  ],
  ...o,
});

const mapping = (now = NOW, firstScanHours = 72): MappingOptions => ({ now: new Date(now), firstScanHours, timeZone: 'Asia/Shanghai' });

describe('Kuaidi100 signing and wire format', () => {
  it('reproduces the real query signature over the exact param string', () => {
    const param = queryParam({ com: 'yuantong', num: 'YT0000000001', phone: '5678' });
    expect(param).toBe(FIXTURES.queryParam);
    expect(querySign(param, TEST_KEY, TEST_CUSTOMER)).toBe(FIXTURES.querySign);
    expect(querySign(param, TEST_KEY, TEST_CUSTOMER)).toBe('9DBB29875B3A166DC29CB55B23FFEC76');
  });

  it('reproduces the real push signature', () => {
    expect(pushSign(FIXTURES.signedPush, TEST_SALT)).toBe('09E15E98904789FE2401A8703CEDC031');
  });

  it('sends the form body of the fixture, byte for byte', async () => {
    let sent = '';
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      sent = String(init.body);
      return new Response(JSON.stringify(FIXTURES.inDelivery));
    }) as unknown as typeof fetch;
    const client = new Kuaidi100Client({ customer: TEST_CUSTOMER, key: TEST_KEY, apiBase: 'http://x', autonumBase: 'http://y', fetch: fakeFetch });
    const r = await client.query({ com: 'yuantong', num: 'YT0000000001', phone: '5678' });
    expect(sent).toBe(FIXTURES.queryBody);
    expect(r.ok && r.track.state).toBe('5');
  });

  it('builds the subscription param of the fixture; autoCom when the carrier is unknown', () => {
    const input = { com: 'yuantong', num: 'YT0000000001', phone: '5678', callbackUrl: 'http://127.0.0.1:3978/hooks/kuaidi100?o=SHIP4DONE0000001', salt: TEST_SALT };
    expect(subscribeParam(input, TEST_KEY)).toBe(FIXTURES.subscribeParam);
    expect(JSON.parse(subscribeParam({ ...input, com: undefined }, TEST_KEY))).toMatchObject({ company: '', parameters: { autoCom: '1' } });
  });

  it('reads answers: success, each returnCode, the status 201 variant, garbage', () => {
    const ok = parseQueryAnswer(JSON.stringify(FIXTURES.inDelivery));
    expect(ok.ok && ok.track.data.map((e) => e.statusCode)).toEqual(['5', '1002', '103']);
    const failure = (body: object | string) => {
      const r = parseQueryAnswer(typeof body === 'string' ? body : JSON.stringify(body));
      return r.ok ? 'ok' : r.failure;
    };
    expect(failure(FIXTURES.noResult)).toBe('no_result');
    expect(failure(FIXTURES.phoneWrong)).toBe('phone_required');
    expect(failure(FIXTURES.badSign)).toBe('bad_signature');
    expect(failure(FIXTURES.keyExpired)).toBe('quota');
    expect(failure({ result: false, returnCode: '400', message: '找不到对应公司' })).toBe('bad_request');
    expect(failure({ result: false, returnCode: '501', message: '服务器错误' })).toBe('server_error');
    expect(failure({ result: false, returnCode: '502', message: '服务器繁忙' })).toBe('server_busy');
    expect(failure(FIXTURES.numberUnknown)).toBe('number_unknown');
    expect(failure('<html>502 Bad Gateway</html>')).toBe('bad_response');
    expect(failure('[1,2]')).toBe('bad_response');
    expect(failure({ message: 'ok', state: '0' })).toBe('bad_response');
  });

  it('reads Kuaidi100 times as Asia/Shanghai wall clock whatever the process zone', () => {
    expect(process.env.TZ).toBe('America/Los_Angeles');
    expect(parseKuaidi100Time('2026-03-03 08:10:00')?.toISOString()).toBe('2026-03-03T00:10:00.000Z');
    expect(parseKuaidi100Time('2026-03-08 10:30:00')?.toISOString()).toBe('2026-03-08T02:30:00.000Z'); // the US DST switch day
    expect(parseKuaidi100Time('yesterday')).toBeUndefined();
    expect(parseKuaidi100Time('2026-13-01 00:00:00')).toBeUndefined();
  });
});

describe('mapping Kuaidi100 states into the order', () => {
  it.each(['0', '1', '5', '7', '8', '10', '11', '12'])('state %s → shipped with carrier events', (state) => {
    const o = applyTracking(parcel(), { track: track(state), trackAt: new Date(NOW) }, mapping());
    expect(o.status).toBe('shipped');
    expect(o.holdReasons).toEqual([]);
    expect(o.delivery).toMatchObject({ carrierState: state, signed: false, lastEvent: { at: '2026-03-03T08:10:00+08:00', text: '【深圳市】快件正在派送中' } });
    expect(o.timeline.filter((e) => e.type === 'carrier_update').map((e) => [e.at, e.source])).toEqual([
      ['2026-03-02T16:56:21+08:00', 'carrier'],
      ['2026-03-03T08:10:00+08:00', 'carrier'],
    ]);
  });

  it.each(['2', '4', '6', '13', '14'])('state %s → on_hold + logistics_exception', (state) => {
    const o = applyTracking(parcel(), { track: track(state) }, mapping());
    expect(o.status).toBe('on_hold');
    expect(o.holdReasons).toEqual(['logistics_exception']);
    expect(o.timeline.some((e) => e.type === 'hold' && e.source === 'carrier')).toBe(true);
  });

  it('state 3 → delivered, signed, delivered at data[0].ftime in China time', () => {
    const t = track('3', { ischeck: '1', data: [{ time: '2026-03-03 11:20:53', ftime: '2026-03-03 11:20:53', context: '已签收，签收人凭取货码签收。' }] });
    const o = applyTracking(parcel(), { track: t }, mapping('2026-03-03T12:00:00+08:00'));
    expect(o.status).toBe('delivered');
    expect(o.delivery).toMatchObject({ signed: true, carrierState: '3' });
    expect(o.timeline.find((e) => e.type === 'delivered')).toMatchObject({ at: '2026-03-03T11:20:53+08:00', source: 'carrier' });
    // The shop zone only changes the offset written, not the instant.
    const la = applyTracking(parcel(), { track: t }, { ...mapping(), timeZone: 'America/Los_Angeles' });
    expect(la.timeline.find((e) => e.type === 'delivered')?.at).toBe('2026-03-02T19:20:53-08:00');
  });

  it('ischeck "1" signs whatever the state', () => {
    expect(carrierVerdict({ state: '5', ischeck: '1' })).toBe('signed');
    expect(applyTracking(parcel(), { track: track('5', { ischeck: '1' }) }, mapping()).status).toBe('delivered');
  });

  it('500 within firstScanHours of shipping → shipped + a note; after the window → logistics_api_error', () => {
    const problem = { kind: 'not_scanned' as const, at: new Date(NOW) };
    const inside = applyTracking(parcel({}, { carrierState: '0' }), { problem }, mapping());
    expect(inside.status).toBe('shipped');
    expect(inside.holdReasons).toEqual([]);
    expect(inside.delivery).not.toHaveProperty('carrierState');
    expect(inside.timeline.find((e) => e.type === 'note')).toMatchObject({ text: '快递尚未揽收扫描', source: 'carrier' });

    const late = '2026-03-05T17:00:00+08:00'; // 73 h after shipping
    const after = applyTracking(parcel(), { problem: { kind: 'not_scanned', at: new Date(late) } }, mapping(late));
    expect(after.status).toBe('shipped');
    expect(after.holdReasons).toEqual(['logistics_api_error']);
    expect(after.timeline.some((e) => e.type === 'note')).toBe(false);
  });

  it.each(['bad_request', 'phone_required', 'server_error', 'server_busy', 'bad_signature', 'quota', 'timeout', 'bad_response'] as const)(
    '%s → keep shipped + logistics_api_error',
    (reason) => {
      const o = applyTracking(parcel(), { problem: { kind: 'api_error', reason, at: new Date(NOW) } }, mapping());
      expect(o.status).toBe('shipped');
      expect(o.holdReasons).toEqual(['logistics_api_error']);
    },
  );

  it('a push abort → keep shipped + logistics_api_error', () => {
    const o = applyTracking(parcel(), { problem: { kind: 'aborted', message: '3天查询无记录', at: new Date(NOW) } }, mapping());
    expect(o.status).toBe('shipped');
    expect(o.holdReasons).toEqual(['logistics_api_error']);
  });

  it('never moves an order backwards', () => {
    for (const status of ['refunded', 'canceled', 'failed'] as const) {
      const o = applyTracking(parcel({ status }), { track: track('5') }, mapping());
      expect(o.status).toBe(status);
      expect(o.holdReasons).toEqual([]);
    }
    // Signed by the shop: a later unsigned track does not un-sign it.
    const signed = parcel({ status: 'delivered' }, { signed: true, carrierState: '3' });
    const o = applyTracking(signed, { track: track('0') }, mapping());
    expect(o.status).toBe('delivered');
    expect(o.delivery).toMatchObject({ signed: true, carrierState: '3' });
    // Another kind of hold stays with the shop.
    expect(applyTracking(parcel({ status: 'on_hold', holdReasons: ['risk_control'] }), { track: track('3', { ischeck: '1' }) }, mapping()).status).toBe('on_hold');
  });

  it('a shop "delivered" that only means sent is corrected by a real track, not by a failure', () => {
    expect(applyTracking(parcel({ status: 'delivered' }), { track: track('5') }, mapping()).status).toBe('shipped');
    expect(applyTracking(parcel({ status: 'delivered' }), { problem: { kind: 'api_error', reason: 'server_busy', at: new Date(NOW) } }, mapping()).status).toBe('delivered');
  });

  it('is idempotent: applying the same view twice adds nothing', () => {
    const view = { track: track('2'), trackAt: new Date(NOW) };
    const once = applyTracking(parcel(), view, mapping());
    expect(applyTracking(once, view, mapping())).toEqual(once);
  });

  it('leaves other deliveries alone', () => {
    const code = UnifiedOrder.parse({ orderNo: 'X1', status: 'delivered', createdAt: NOW, delivery: { kind: 'card_codes', items: [{ masked: 'AB****CD' }] } });
    expect(applyTracking(code, { track: track('3') }, mapping())).toBe(code);
  });
});

describe('Tracker against the fake Kuaidi100', () => {
  let fake: FakeKuaidi100;
  let clock: ReturnType<typeof manualClock>;
  let logs: string[];

  beforeEach(async () => {
    fake = await startFakeKuaidi100();
    clock = manualClock(NOW);
    logs = [];
  });
  afterEach(async () => {
    await fake.close();
  });

  const logger = () => pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const makeTracker = (o: Partial<ConstructorParameters<typeof Tracker>[0]> = {}, timeoutMs = 2000) =>
    new Tracker({
      api: new Kuaidi100Client({ customer: TEST_CUSTOMER, key: TEST_KEY, apiBase: fake.url, autonumBase: fake.url, timeoutMs }),
      clock,
      logger: logger(),
      timeZone: 'Asia/Shanghai',
      firstScanHours: 72,
      dailyQueries: 100,
      ...o,
    });

  it('queries once and enriches the order (signed with the real signature; the fake checks it)', async () => {
    fake.script('YT0000000001', FIXTURES.inDelivery);
    const o = await makeTracker().enrich(parcel(), clock.now());
    expect(fake.queries).toEqual([{ com: 'yuantong', num: 'YT0000000001', phone: '5678', param: FIXTURES.queryParam }]);
    expect(o.status).toBe('shipped');
    expect(o.delivery).toMatchObject({ carrierState: '5', lastCheckedAt: '2026-03-03T09:00:00+08:00', lastEvent: { text: '【深圳市】快件正在派送中' } });
    expect(o.timeline.filter((e) => e.type === 'carrier_update')).toHaveLength(3);
  });

  it('a wrong key is answered 503 by the fake → logistics_api_error, and a warning once', async () => {
    const t = new Tracker({
      api: new Kuaidi100Client({ customer: TEST_CUSTOMER, key: 'WRONGKEY', apiBase: fake.url, autonumBase: fake.url }),
      clock,
      logger: logger(),
      timeZone: 'Asia/Shanghai',
      firstScanHours: 72,
      dailyQueries: 100,
    });
    fake.script('YT0000000001', FIXTURES.inDelivery);
    const o = await t.enrich(parcel(), clock.now());
    expect(o.holdReasons).toEqual(['logistics_api_error']);
    await t.enrich(parcel({ orderNo: 'OTHER' }, { trackingNo: 'YT0000000002' }), clock.now());
    expect(logs.filter((l) => l.includes('(503)'))).toHaveLength(1);
  });

  it('a busy buyer asking 20 times spends one query; after 30 minutes it asks again', async () => {
    fake.script('YT0000000001', FIXTURES.inDelivery);
    const t = makeTracker();
    for (let i = 0; i < 20; i++) {
      clock.advance(MIN);
      expect((await t.enrich(parcel(), clock.now())).delivery).toMatchObject({ carrierState: '5' });
    }
    expect(fake.queryCount()).toBe(1);
    clock.advance(15 * MIN);
    await t.enrich(parcel(), clock.now());
    expect(fake.queryCount()).toBe(2);
  });

  it('a signed parcel is never asked about again', async () => {
    fake.script('YT0000000001', { ...FIXTURES.inDelivery, state: '3', ischeck: '1' });
    const t = makeTracker();
    expect((await t.enrich(parcel(), clock.now())).status).toBe('delivered');
    clock.advance(30 * 24 * HOUR);
    expect((await t.enrich(parcel(), clock.now())).status).toBe('delivered');
    expect(fake.queryCount()).toBe(1);
  });

  it('identical concurrent questions share one query (single flight)', async () => {
    fake.script('YT0000000001', FIXTURES.inDelivery);
    const t = makeTracker();
    const all = await Promise.all(Array.from({ length: 8 }, () => t.enrich(parcel(), clock.now())));
    expect(fake.queryCount()).toBe(1);
    for (const o of all) expect(o.delivery).toMatchObject({ carrierState: '5' });
  });

  it('500: a note inside the window, cached ~15 minutes, an api-error hold after the window', async () => {
    const t = makeTracker();
    const first = await t.enrich(parcel(), clock.now());
    expect(first.status).toBe('shipped');
    expect(first.holdReasons).toEqual([]);
    expect(first.timeline.some((e) => e.type === 'note' && e.text === '快递尚未揽收扫描')).toBe(true);
    clock.advance(10 * MIN);
    await t.enrich(parcel(), clock.now());
    expect(fake.queryCount()).toBe(1);
    clock.advance(6 * MIN);
    await t.enrich(parcel(), clock.now());
    expect(fake.queryCount()).toBe(2);
    clock.set('2026-03-05T17:00:00+08:00');
    const late = await t.enrich(parcel(), clock.now());
    expect(late.holdReasons).toEqual(['logistics_api_error']);
  });

  it('408 (phone tail missing or wrong): an api-error hold until the tail changes', async () => {
    fake.requirePhone('SF1234567890', '5678');
    fake.script('SF1234567890', { ...FIXTURES.inDelivery, com: 'shunfeng', nu: 'SF1234567890' });
    const t = makeTracker();
    const sf = (tail?: string) => parcel({ orderNo: 'SF-ORDER' }, { carrierCode: 'shunfeng', trackingNo: 'SF1234567890', phoneTail: tail });
    expect((await t.enrich(sf(), clock.now())).holdReasons).toEqual(['logistics_api_error']);
    for (let i = 0; i < 3; i++) {
      clock.advance(2 * HOUR);
      await t.enrich(sf(), clock.now());
    }
    expect(fake.queryCount()).toBe(1); // the same input is not asked again
    expect((await t.enrich(sf('1111'), clock.now())).holdReasons).toEqual(['logistics_api_error']);
    expect(fake.queryCount()).toBe(2);
    const ok = await t.enrich(sf('5678'), clock.now());
    expect(fake.queryCount()).toBe(3);
    expect(ok.holdReasons).toEqual([]);
    expect(ok.delivery).toMatchObject({ carrierState: '5' });
  });

  it('601: stops querying for the rest of the shop day, warns once, resumes the next day', async () => {
    fake.script('YT0000000001', FIXTURES.keyExpired, FIXTURES.inDelivery);
    const t = makeTracker();
    expect((await t.enrich(parcel(), clock.now())).holdReasons).toEqual(['logistics_api_error']);
    for (let i = 0; i < 5; i++) {
      clock.advance(HOUR);
      const other = await t.enrich(parcel({ orderNo: `N${i}` }, { trackingNo: `YT100000000${i}` }), clock.now());
      expect(other.holdReasons).toEqual(['logistics_api_error']);
    }
    expect(fake.queryCount()).toBe(1);
    expect(logs.filter((l) => l.includes('601'))).toHaveLength(1);
    clock.set('2026-03-04T00:05:00+08:00'); // the next shop day
    expect((await t.enrich(parcel(), clock.now())).delivery).toMatchObject({ carrierState: '5' });
    expect(fake.queryCount()).toBe(2);
  });

  it('the daily quota: after it, no queries; what was known stays, the unknown gets an api-error hold', async () => {
    fake.script('YT0000000001', FIXTURES.inDelivery);
    const t = makeTracker({ dailyQueries: 2 });
    await t.enrich(parcel(), clock.now());
    await t.enrich(parcel({ orderNo: 'B' }, { trackingNo: 'YT0000000002' }), clock.now());
    expect(t.queriesToday(clock.now())).toBe(2);
    clock.advance(HOUR);
    const known = await t.enrich(parcel(), clock.now());
    expect(known.delivery).toMatchObject({ carrierState: '5' });
    expect(known.holdReasons).toEqual([]);
    const unknown = await t.enrich(parcel({ orderNo: 'C' }, { trackingNo: 'YT0000000003' }), clock.now());
    expect(unknown.holdReasons).toEqual(['logistics_api_error']);
    expect(fake.queryCount()).toBe(2);
    expect(logs.filter((l) => l.includes('KUAIDI100_DAILY_QUERIES'))).toHaveLength(1);
  });

  it('a per-order hourly cap', async () => {
    const t = makeTracker({ perOrderHourly: 2 });
    for (let i = 0; i < 6; i++) {
      clock.advance(16 * MIN); // past the 500 cache each time
      await t.enrich(parcel(), clock.now());
      if (i === 2) expect(fake.queryCount()).toBe(2);
    }
    expect(fake.queryCount()).toBe(4); // at most 2 in any hour (queries at 16, 32, 80, 96 min)
  });

  it('garbage, an HTTP error page and a timeout become an api-error hold, never a throw', async () => {
    fake.script('G1', { raw: 'not json at all' });
    fake.script('G2', { raw: '<html>502 Bad Gateway</html>', httpStatus: 502 });
    fake.script('G3', { hang: true });
    const t = makeTracker({}, 150);
    for (const no of ['G1', 'G2', 'G3']) {
      const o = await t.enrich(parcel({ orderNo: no }, { trackingNo: no }), clock.now());
      expect(o.status).toBe('shipped');
      expect(o.holdReasons).toEqual(['logistics_api_error']);
    }
    // A transient failure does not erase a known "not scanned yet".
    fake.script('G4', FIXTURES.noResult, { raw: 'oops' });
    await t.enrich(parcel({ orderNo: 'G4' }, { trackingNo: 'G4' }), clock.now());
    clock.advance(16 * MIN);
    const g4 = await t.enrich(parcel({ orderNo: 'G4' }, { trackingNo: 'G4' }), clock.now());
    expect(g4.holdReasons).toEqual([]);
    expect(g4.timeline.some((e) => e.type === 'note')).toBe(true);
  });

  it('an unreachable Kuaidi100 is an api-error hold too', async () => {
    const t = new Tracker({
      api: new Kuaidi100Client({ customer: TEST_CUSTOMER, key: TEST_KEY, apiBase: 'http://127.0.0.1:1', autonumBase: 'http://127.0.0.1:1', timeoutMs: 500 }),
      clock,
      logger: logger(),
      timeZone: 'Asia/Shanghai',
      firstScanHours: 72,
      dailyQueries: 100,
    });
    expect((await t.enrich(parcel(), clock.now())).holdReasons).toEqual(['logistics_api_error']);
  });

  it('detects an unknown carrier: the first guess, on 500 the next', async () => {
    fake.autonumber('YT0000000009', [
      { comCode: 'yunda', name: '韵达快递' },
      { comCode: 'yuantong', name: '圆通速递' },
    ]);
    fake.script('yuantong|YT0000000009', { ...FIXTURES.inDelivery, nu: 'YT0000000009' });
    const t = makeTracker();
    const o = await t.enrich(parcel({}, { carrierCode: 'unknown', trackingNo: 'YT0000000009', carrierName: undefined }), clock.now());
    expect(fake.queries.map((q) => q.com)).toEqual(['yunda', 'yuantong']);
    expect(o.delivery).toMatchObject({ carrierCode: 'yuantong', carrierName: '圆通速递', carrierState: '5' });
    // Known now: no more detection or guessing.
    clock.advance(31 * MIN);
    await t.enrich(parcel({}, { carrierCode: 'unknown', trackingNo: 'YT0000000009' }), clock.now());
    expect(fake.queries.map((q) => q.com)).toEqual(['yunda', 'yuantong', 'yuantong']);
  });

  it('a carrier nobody can detect is an api-error hold', async () => {
    const o = await makeTracker().enrich(parcel({}, { carrierCode: 'unknown', trackingNo: 'ZZ1' }), clock.now());
    expect(o.holdReasons).toEqual(['logistics_api_error']);
    expect(fake.queryCount()).toBe(0);
  });

  it('does not query for final statuses or parcels the shop already has signed', async () => {
    const t = makeTracker();
    await t.enrich(parcel({ status: 'refunded' }), clock.now());
    await t.enrich(parcel({ status: 'delivered' }, { signed: true }), clock.now());
    expect(fake.queryCount()).toBe(0);
  });

  it('subscribes with our order number in the callback URL; a refused subscription keeps polling', async () => {
    fake.script('YT0000000001', FIXTURES.inDelivery);
    const t = makeTracker({ callbackUrl: 'http://127.0.0.1:3978/hooks/kuaidi100', salt: TEST_SALT });
    await t.enrich(parcel(), clock.now());
    await t.idle();
    expect(fake.subscriptions).toEqual([JSON.parse(FIXTURES.subscribeParam)]);
    await t.enrich(parcel(), clock.now());
    await t.idle();
    expect(fake.subscriptions).toHaveLength(1);

    fake.subscribeAnswer({ result: false, returnCode: '501', message: '重复订阅' });
    const other = parcel({ orderNo: 'B2' }, { trackingNo: 'YT0000000002' });
    expect(await t.subscribe(other)).toBe(false);
    clock.advance(31 * MIN);
    await t.enrich(other, clock.now());
    await t.enrich(other, clock.now());
    expect(fake.queryCount('YT0000000002')).toBe(1);
  });

  it('never logs the phone tail or the param', async () => {
    fake.script('YT0000000001', FIXTURES.phoneWrong);
    const t = makeTracker({ callbackUrl: 'http://127.0.0.1:3978/hooks/kuaidi100', salt: TEST_SALT });
    fake.subscribeAnswer({ result: false, returnCode: '500', message: 'x' });
    await t.enrich(parcel(), clock.now());
    await t.idle();
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line).not.toContain('5678');
      expect(line).not.toContain('YT0000000001');
    }
  });

  it('trackerFromSettings subscribes only with a salt and a public base URL', () => {
    const settings = {
      KUAIDI100_CUSTOMER: TEST_CUSTOMER,
      KUAIDI100_KEY: TEST_KEY,
      KUAIDI100_API_BASE: fake.url,
      KUAIDI100_AUTONUM_BASE: fake.url,
      KUAIDI100_DAILY_QUERIES: 10,
    };
    const deps = { clock, logger: logger(), policy: { firstScanHours: 72, timeZone: 'Asia/Shanghai' } };
    expect(trackerFromSettings(settings, { ...deps, publicBaseUrl: 'https://bot.example.com' }).subscribes).toBe(false);
    expect(trackerFromSettings({ ...settings, KUAIDI100_SALT: TEST_SALT }, deps).subscribes).toBe(false);
    expect(trackerFromSettings({ ...settings, KUAIDI100_SALT: TEST_SALT }, { ...deps, publicBaseUrl: 'https://bot.example.com/' }).subscribes).toBe(true);
  });
});

describe('the push endpoint /hooks/kuaidi100', () => {
  let fake: FakeKuaidi100;
  let server: Server;
  let base: string;
  let clock: ReturnType<typeof manualClock>;
  let tracker: Tracker;
  let changes: OrderChange[];

  beforeEach(async () => {
    fake = await startFakeKuaidi100();
    clock = manualClock('2026-03-03T12:00:00+08:00');
    tracker = new Tracker({
      api: new Kuaidi100Client({ customer: TEST_CUSTOMER, key: TEST_KEY, apiBase: fake.url, autonumBase: fake.url }),
      clock,
      logger: pino({ level: 'silent' }),
      timeZone: 'Asia/Shanghai',
      firstScanHours: 72,
      dailyQueries: 100,
      callbackUrl: 'http://127.0.0.1:3978/hooks/kuaidi100',
      salt: TEST_SALT,
    });
    const events = new OrderEventHub();
    changes = [];
    events.on((c) => void changes.push(c));
    const app = express();
    app.use('/hooks', kuaidi100Hooks(tracker, events, pino({ level: 'silent' })));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/kuaidi100`;
  });
  afterEach(async () => {
    await tracker.idle();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fake.close();
  });

  const url = (orderNo = 'SHIP4DONE0000001') => `${base}?o=${orderNo}`;
  const pushOf = (status: string, lastResult: object, extra: object = {}) => ({
    status,
    billstatus: '',
    message: '',
    autoCheck: '0',
    comOld: '',
    comNew: '',
    lastResult,
    ...extra,
  });

  it('a good sign: the exact reply, one change, and the order is signed without a query', async () => {
    const r = await sendPush(url(), FIXTURES.signedPush, { sign: FIXTURES.pushSign });
    expect(r.status).toBe(200);
    expect(r.body).toBe(PUSH_OK);
    expect(r.body).toBe('{"result":true,"returnCode":"200","message":"成功"}');
    expect(r.contentType).toMatch(/^application\/json/);
    expect(changes).toEqual([{ orderNo: 'SHIP4DONE0000001', source: 'kuaidi100_push' }]);
    const o = await tracker.enrich(parcel(), clock.now());
    expect(o.status).toBe('delivered');
    expect(o.delivery).toMatchObject({ signed: true });
    expect(o.timeline.find((e) => e.type === 'delivered')?.at).toBe('2026-03-03T11:20:53+08:00');
    expect(fake.queryCount()).toBe(0);
  });

  it('the same push twice → one change, one timeline event', async () => {
    await sendPush(url(), FIXTURES.signedPush);
    const again = await sendPush(url(), FIXTURES.signedPush);
    expect(again.body).toBe(PUSH_OK);
    expect(changes).toHaveLength(1);
    const o = await tracker.enrich(parcel(), clock.now());
    expect(o.timeline.filter((e) => e.type === 'carrier_update')).toHaveLength(1);
    expect(o.timeline.filter((e) => e.type === 'delivered')).toHaveLength(1);
  });

  it('a bad or missing sign → 400 and nothing changes', async () => {
    const bad = await sendPush(url(), FIXTURES.signedPush, { sign: '09E15E98904789FE2401A8703CEDC030' });
    expect(bad.status).toBe(400);
    const none = await sendPush(url(), FIXTURES.signedPush, { sign: null });
    expect(none.status).toBe(400);
    // One byte changed after signing: the sign is over param exactly as received.
    const flipped = await sendPush(url(), FIXTURES.signedPush.replace('"state":"3"', '"state":"5"'), { sign: FIXTURES.pushSign });
    expect(flipped.status).toBe(400);
    expect(changes).toEqual([]);
    const o = await tracker.enrich(parcel(), clock.now());
    expect(o.status).toBe('shipped');
  });

  it('malformed JSON with a valid sign → 400', async () => {
    const r = await sendPush(url(), '{"status":"polling",', {});
    expect(r.status).toBe(400);
    expect((await sendPush(url(), '[]')).status).toBe(400);
    expect(changes).toEqual([]);
  });

  it('abort → an api-error hold, and a resubscription after ~30 minutes', async () => {
    const abort = pushOf(
      'abort',
      { message: '快递公司参数异常：单号不存在或者已经过期', state: '0', status: '201', condition: '', ischeck: '0', com: 'yuantong', nu: 'YT0000000001', data: [] },
      { message: '3天查询无记录' },
    );
    expect((await sendPush(url(), abort)).body).toBe(PUSH_OK);
    expect(changes).toHaveLength(1);
    fake.script('YT0000000001', FIXTURES.noResult);
    const o = await tracker.enrich(parcel(), clock.now());
    expect(o.status).toBe('shipped');
    expect(o.holdReasons).toEqual(['logistics_api_error']);
    await tracker.idle();
    expect(fake.subscriptions).toHaveLength(0);
    clock.advance(31 * MIN);
    await tracker.enrich(parcel(), clock.now());
    await tracker.idle();
    expect(fake.subscriptions).toHaveLength(1);
    expect(fake.subscriptions[0]!.parameters.callbackurl).toBe('http://127.0.0.1:3978/hooks/kuaidi100?o=SHIP4DONE0000001');
  });

  it('autoCheck=1 with comNew corrects the carrier', async () => {
    const push = pushOf('polling', { ...track('0'), com: 'yuantong', message: 'ok', status: '200' }, { autoCheck: '1', comOld: 'yunda', comNew: 'yuantong' });
    await sendPush(url(), push);
    expect(changes).toHaveLength(1);
    const o = await tracker.enrich(parcel({}, { carrierCode: 'yunda', carrierName: '韵达快递' }), clock.now());
    expect(o.delivery).toMatchObject({ carrierCode: 'yuantong', carrierState: '0' });
    expect(o.delivery).not.toHaveProperty('carrierName'); // the shop's name was for the wrong carrier
    expect(fake.queryCount()).toBe(0);
    clock.advance(3 * HOUR);
    fake.script('yuantong|YT0000000001', FIXTURES.inDelivery);
    await tracker.enrich(parcel({}, { carrierCode: 'yunda' }), clock.now());
    expect(fake.queries.map((q) => q.com)).toEqual(['yuantong']); // later queries use the corrected carrier
  });

  it('a backwards push (polling after shutdown) changes nothing', async () => {
    await sendPush(url(), FIXTURES.signedPush);
    const late = pushOf('polling', { ...track('5'), message: 'ok', status: '200' });
    expect((await sendPush(url(), late)).body).toBe(PUSH_OK);
    const older = pushOf('updateall', {
      ...track('0', { data: [{ time: '2026-03-02 16:56:21', ftime: '2026-03-02 16:56:21', context: '【东莞市】已揽收' }] }),
      message: 'ok',
      status: '200',
    });
    await sendPush(url(), older);
    expect(changes).toHaveLength(1);
    const o = await tracker.enrich(parcel(), clock.now());
    expect(o.status).toBe('delivered');
  });

  it('updateall repeating history is no change; a newer scan is', async () => {
    const p1 = pushOf('polling', { ...track('0'), message: 'ok', status: '200' });
    await sendPush(url(), p1);
    await sendPush(url(), { ...p1, status: 'updateall' });
    expect(changes).toHaveLength(1);
    const newer = track('2', { data: [{ time: '2026-03-03 11:00:00', ftime: '2026-03-03 11:00:00', context: '疑难件：收件人电话无人接听' }, ...track('0').data] });
    await sendPush(url(), pushOf('polling', { ...newer, message: 'ok', status: '200' }));
    expect(changes).toHaveLength(2);
    const o = await tracker.enrich(parcel(), clock.now());
    expect(o.status).toBe('on_hold');
    expect(o.holdReasons).toEqual(['logistics_exception']);
  });

  it('works behind an app-wide urlencoded parser too (the sign is over the decoded param)', async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    const events = new OrderEventHub();
    const seen: OrderChange[] = [];
    events.on((c) => void seen.push(c));
    app.use('/hooks', kuaidi100Hooks(tracker, events, pino({ level: 'silent' })));
    const s = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    try {
      const at = `http://127.0.0.1:${(s.address() as AddressInfo).port}/hooks/kuaidi100?o=SHIP4DONE0000001`;
      expect((await sendPush(at, FIXTURES.signedPush, { sign: 'BAD' })).status).toBe(400);
      expect((await sendPush(at, FIXTURES.signedPush)).body).toBe(PUSH_OK);
      expect(seen).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it('a push for another parcel does not touch an order that has a different number', async () => {
    fake.script('YT0000000001', FIXTURES.inDelivery);
    await tracker.enrich(parcel(), clock.now());
    const other = pushOf('shutdown', { ...track('3', { ischeck: '1', nu: 'YT0000000077' }), message: 'ok', status: '200' });
    await sendPush(url(), other);
    expect(changes).toEqual([]);
    expect((await tracker.enrich(parcel(), clock.now())).status).toBe('shipped');
  });
});

describe('withTracking (the order-service decorator)', () => {
  let fake: FakeKuaidi100;
  beforeEach(async () => {
    fake = await startFakeKuaidi100();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('enriches orders by number, alt number, candidates and a revealed tracking delivery', async () => {
    fake.script('YT0000000001', FIXTURES.inDelivery);
    const clock = manualClock(NOW);
    const shipped = parcel();
    const code = UnifiedOrder.parse({ orderNo: 'CARD1', status: 'delivered', createdAt: NOW, delivery: { kind: 'card_codes', items: [{ masked: 'AB****CD' }] } });
    const calls: string[] = [];
    const inner: OrderService = {
      findByOrderNo: async (no) => (calls.push(`no:${no}`), no === shipped.orderNo ? shipped : no === 'CARD1' ? code : null),
      findByAltNo: async (alt) => (calls.push(`alt:${alt}`), alt === 'PAY1' ? shipped : null),
      findCandidates: async () => [shipped, code],
      verifyOwnership: async (no, proof) => no === shipped.orderNo && proof.contact === '13800005678',
      revealDelivery: async (no) => (no === shipped.orderNo ? shipped.delivery! : null),
    };
    const tracker = new Tracker({
      api: new Kuaidi100Client({ customer: TEST_CUSTOMER, key: TEST_KEY, apiBase: fake.url, autonumBase: fake.url }),
      clock,
      logger: pino({ level: 'silent' }),
      timeZone: 'Asia/Shanghai',
      firstScanHours: 72,
      dailyQueries: 100,
    });
    const svc = withTracking(inner, tracker, clock);

    expect((await svc.findByOrderNo(shipped.orderNo))?.delivery).toMatchObject({ carrierState: '5' });
    expect(await svc.findByOrderNo('CARD1')).toBe(code);
    expect(await svc.findByOrderNo('NOPE')).toBeNull();
    expect((await svc.findByAltNo('PAY1'))?.delivery).toMatchObject({ carrierState: '5' });
    const list = await svc.findCandidates({ contact: '13800005678' });
    expect(list.map((o) => o.delivery?.kind === 'tracking_number' && o.delivery.carrierState)).toEqual(['5', false]);
    expect(await svc.verifyOwnership(shipped.orderNo, { contact: '13800005678' })).toBe(true);
    expect(await svc.revealDelivery(shipped.orderNo, { contact: '13800005678' })).toMatchObject({
      kind: 'tracking_number',
      carrierState: '5',
      lastEvent: { text: '【深圳市】快件正在派送中' },
    });
    expect(await svc.revealDelivery('CARD1', {})).toBeNull();
    expect(fake.queryCount()).toBe(1);
    expect(calls).toEqual(['no:SHIP4DONE0000001', 'no:CARD1', 'no:NOPE', 'alt:PAY1']);
  });

  it('passes the service’s own errors through', async () => {
    const clock = manualClock(NOW);
    const boom: OrderService = {
      findByOrderNo: async () => {
        throw new Error('shop down');
      },
      findByAltNo: async () => null,
      findCandidates: async () => [],
      verifyOwnership: async () => false,
      revealDelivery: async () => null,
    };
    const tracker = new Tracker({
      api: new Kuaidi100Client({ customer: TEST_CUSTOMER, key: TEST_KEY, apiBase: fake.url, autonumBase: fake.url }),
      clock,
      logger: pino({ level: 'silent' }),
      timeZone: 'Asia/Shanghai',
      firstScanHours: 72,
      dailyQueries: 100,
    });
    await expect(withTracking(boom, tracker, clock).findByOrderNo('X')).rejects.toThrow('shop down');
  });
});

/**
 * Courier tracking for physical-card orders through Kuaidi100 (快递100).
 *
 * - `applyTracking` (pure): what Kuaidi100 knows about a parcel → the order's status, holds,
 *   delivery and timeline (reference/shop-systems.md §4.4). It never moves an order backwards.
 * - `Tracker`: asks Kuaidi100 as little as possible (caches per carrier and number, single flight,
 *   a per-order hourly cap, the shop's daily quota, stops on 601), subscribes to pushes when a
 *   public callback URL is configured and takes the pushes in (`applyPush`). It never throws.
 * - `withTracking`: an `OrderService` decorator that enriches every order it returns.
 *
 * State is in memory, per process: after a restart the first question about a parcel is a query.
 */
import type pino from 'pino';
import type { Policy } from '../../config.js';
import { idDigest } from '../../logging.js';
import { type Clock, fromLocal, HOUR, localFields, MINUTE, toShopIso } from '../../time.js';
import type { Delivery, HoldReason, OrderStatus, TimelineEvent, UnifiedOrder } from '../model.js';
import type { OrderService } from '../port.js';
import type { Kuaidi100Settings } from '../settings.js';
import { type CarrierGuess, Kuaidi100Client, type Kuaidi100Api, type PushParam, type QueryFailure, type QueryResult, type TrackResult } from './kuaidi100.js';

export * from './kuaidi100.js';

type TrackingDelivery = Extract<Delivery, { kind: 'tracking_number' }>;

/** What went wrong when there is no track (or, for `aborted`, beside it). */
export type TrackingProblem =
  /** 500 / "201": no scan yet (normal soon after shipping; a problem after POLICY_FIRST_SCAN_HOURS). */
  | { kind: 'not_scanned'; at: Date }
  /** 400/408/501/502/503/601, timeouts, garbage, the daily quota, a carrier nobody could detect. */
  | { kind: 'api_error'; reason: QueryFailure | 'quota_reached' | 'carrier_unknown'; at: Date }
  /** The subscription push `abort` ("3天查询无记录", "60天无变化"). */
  | { kind: 'aborted'; message: string; at: Date };

/** What the tracker knows about one parcel, as `applyTracking` reads it. */
export interface TrackingView {
  /** The carrier Kuaidi100 tracks it under (detected, or corrected by a push), when it differs or was unknown. */
  carrierCode?: string;
  carrierName?: string;
  track?: TrackResult;
  /** When `track` was current. */
  trackAt?: Date;
  problem?: TrackingProblem;
}

export interface MappingOptions {
  now: Date;
  /** Policy.firstScanHours: how long a shipped parcel may go without a first scan. */
  firstScanHours: number;
  /** The shop's zone: the offsets of the instants written. */
  timeZone: string;
}

/** Kuaidi100 writes "YYYY-MM-DD HH:MM:SS" in China time. */
export const KUAIDI100_ZONE = 'Asia/Shanghai';

/** "2026-03-03 08:10:00" (Asia/Shanghai) → the instant; undefined when it is not such a time. */
export function parseKuaidi100Time(text: string): Date | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d))?$/.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  return fromLocal(KUAIDI100_ZONE, y, mo, d, h, mi, s);
}

export type CarrierVerdict = 'signed' | 'exception' | 'in_transit';

const EXCEPTION_STATES = new Set(['2', '4', '6', '13', '14']);
/** Short labels of the exception states (timeline data text). */
const EXCEPTION_LABEL: Record<string, string> = { '2': '疑难件', '4': '退签', '6': '退回', '13': '清关异常', '14': '拒签' };

/** Kuaidi100 `state` → what it means for the order: 3 or ischeck "1" signed; 2/4/6/13/14 exception; the rest (0/1/5/7/8/10/11/12) on its way. */
export function carrierVerdict(track: Pick<TrackResult, 'state' | 'ischeck'>): CarrierVerdict {
  if (track.state === '3' || track.ischeck === '1') return 'signed';
  if (EXCEPTION_STATES.has(track.state)) return 'exception';
  return 'in_transit';
}

const LOGISTICS: ReadonlySet<HoldReason> = new Set(['logistics_exception', 'logistics_api_error']);
/** Statuses the shop decided for good: carrier news never changes them. */
const FINAL: ReadonlySet<OrderStatus> = new Set(['refunded', 'partially_refunded', 'canceled', 'failed', 'expired', 'awaiting_payment']);

/**
 * How far carrier news may move an order: `free` (paid, processing, shipped, a logistics hold),
 * `track_only` (the shop says delivered/completed, which for a parcel may only mean "sent": a real
 * track decides, a failed query does not), `frozen` (a final status, another kind of hold, a
 * partial delivery, or a parcel already signed for).
 */
export function trackingMode(order: UnifiedOrder): 'free' | 'track_only' | 'frozen' {
  const d = order.delivery;
  if (d?.kind !== 'tracking_number' || d.signed) return 'frozen';
  if (FINAL.has(order.status) || order.status === 'partially_delivered') return 'frozen';
  if (order.status === 'on_hold' && order.holdReasons.some((r) => !LOGISTICS.has(r))) return 'frozen';
  if (order.status === 'delivered' || order.status === 'completed') return 'track_only';
  return 'free';
}

const instantMs = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

function apiErrorText(problem: TrackingProblem): string {
  if (problem.kind === 'aborted') return `快递100停止跟踪：${problem.message || '无记录'}`.slice(0, 40);
  if (problem.kind === 'not_scanned') return '发货后长时间无揽收记录';
  if (problem.reason === 'phone_required') return '快递公司要求收件人手机后四位';
  if (problem.reason === 'quota' || problem.reason === 'quota_reached') return '快递查询暂不可用';
  if (problem.reason === 'carrier_unknown') return '无法识别快递公司';
  return '快递查询失败';
}

/** The tracking delivery with what Kuaidi100 knows (carrier, state, signed, last scan, checked at). */
export function trackDelivery(d: TrackingDelivery, view: TrackingView, opts: Pick<MappingOptions, 'timeZone'>): TrackingDelivery {
  const out: TrackingDelivery = { ...d };
  if (view.carrierCode && view.carrierCode !== d.carrierCode) {
    // Detected or corrected: the shop's carrier name (if any) was for the other code.
    out.carrierCode = view.carrierCode;
    if (view.carrierName) out.carrierName = view.carrierName;
    else delete out.carrierName;
  } else if (view.carrierName && !d.carrierName) out.carrierName = view.carrierName;
  const { track } = view;
  if (track) {
    out.signed = d.signed || carrierVerdict(track) === 'signed';
    if (!d.signed) out.carrierState = track.state;
    const newest = track.data[0];
    const at = newest ? parseKuaidi100Time(newest.ftime) : undefined;
    if (newest && at && !(instantMs(d.lastEvent?.at) > at.getTime())) out.lastEvent = { at: toShopIso(at, opts.timeZone), text: newest.context };
  } else if (view.problem?.kind === 'not_scanned' && !d.signed) {
    delete out.carrierState;
  }
  const checked = Math.max(view.trackAt?.getTime() ?? 0, view.problem && view.problem.kind !== 'aborted' ? view.problem.at.getTime() : 0);
  if (checked > 0 && !(instantMs(d.lastCheckedAt) > checked)) out.lastCheckedAt = toShopIso(new Date(checked), opts.timeZone);
  return out;
}

/** Most carrier scans kept on the timeline (newest). */
const MAX_CARRIER_EVENTS = 40;

/**
 * The order as Kuaidi100 sees its parcel (pure). Only for a `tracking_number` delivery.
 *
 * Signed (state 3 or ischeck "1") → delivered; 2/4/6/13/14 → on_hold + logistics_exception; other
 * states → shipped; scans become `carrier_update` events. No result within firstScanHours of
 * shipping → shipped + a note; any other failure, an `abort` push, or no result after the window →
 * shipped + logistics_api_error (a track already known wins over a later failure). Final statuses,
 * other holds and signed parcels stay as they are; applying the same view twice changes nothing.
 */
export function applyTracking(order: UnifiedOrder, view: TrackingView, opts: MappingOptions): UnifiedOrder {
  const d = order.delivery;
  if (d?.kind !== 'tracking_number') return order;
  const mode = trackingMode(order);
  const tz = opts.timeZone;
  const timeline: TimelineEvent[] = [...order.timeline];
  const add = (ev: TimelineEvent) => {
    const ms = Date.parse(ev.at);
    if (!timeline.some((e) => e.type === ev.type && e.source === ev.source && (e.text ?? '') === (ev.text ?? '') && Date.parse(e.at) === ms)) timeline.push(ev);
  };
  const { track, problem } = view;

  if (track) {
    const events = track.data.slice(0, MAX_CARRIER_EVENTS).reverse();
    for (const ev of events) {
      const at = parseKuaidi100Time(ev.ftime);
      if (at) add({ at: toShopIso(at, tz), type: 'carrier_update', source: 'carrier', text: ev.context });
    }
    const oldest = events[0] ? parseKuaidi100Time(events[0].ftime) : undefined;
    if (oldest && !d.shippedAt && !timeline.some((e) => e.type === 'shipped')) add({ at: toShopIso(oldest, tz), type: 'shipped', source: 'carrier', synthetic: true });
  }

  let status = order.status;
  let holds = [...order.holdReasons];
  const withoutLogistics = () => holds.filter((r) => !LOGISTICS.has(r));
  const verdict = track ? carrierVerdict(track) : undefined;
  const newestAt = (track?.data[0] && parseKuaidi100Time(track.data[0].ftime)) || view.trackAt || opts.now;

  if (mode !== 'frozen' && verdict) {
    if (verdict === 'signed') {
      if (status !== 'completed') status = 'delivered';
      holds = withoutLogistics();
      add({ at: toShopIso(newestAt, tz), type: 'delivered', source: 'carrier', text: '已签收' });
    } else if (verdict === 'exception') {
      status = 'on_hold';
      holds = [...withoutLogistics(), 'logistics_exception'];
      add({ at: toShopIso(newestAt, tz), type: 'hold', source: 'carrier', text: `快递异常：${EXCEPTION_LABEL[track!.state] ?? track!.state}` });
    } else {
      status = 'shipped';
      holds = withoutLogistics();
    }
  }

  if (mode !== 'frozen' && problem && verdict !== 'signed' && (mode === 'free' || track)) {
    const shippedAt =
      instantMs(d.shippedAt) ||
      instantMs(order.timeline.find((e) => e.type === 'shipped')?.at) ||
      instantMs(order.updatedAt) ||
      instantMs(order.paidAt) ||
      instantMs(order.createdAt);
    const inWindow = Number.isFinite(shippedAt) && opts.now.getTime() - shippedAt <= opts.firstScanHours * HOUR;
    if (problem.kind === 'not_scanned' && !track && inWindow) {
      status = 'shipped';
      holds = withoutLogistics();
      add({ at: toShopIso(problem.at, tz), type: 'note', source: 'carrier', text: '快递尚未揽收扫描' });
    } else if (problem.kind === 'aborted' || !track) {
      if (verdict !== 'exception') status = 'shipped';
      if (!holds.includes('logistics_api_error')) holds.push('logistics_api_error');
      add({ at: toShopIso(problem.at, tz), type: 'hold', source: 'carrier', text: apiErrorText(problem) });
    }
  }

  timeline.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { ...order, status, holdReasons: holds, timeline, delivery: trackDelivery(d, view, opts) };
}

// --- the tracker ---------------------------------------------------------------------------------

export type TrackerLogger = Pick<pino.Logger, 'warn' | 'info' | 'debug'>;

export interface TrackerOptions {
  api: Kuaidi100Api;
  clock: Clock;
  logger: TrackerLogger;
  /** The shop's zone: the quota's day and the offsets of the instants written. */
  timeZone: string;
  /** Policy.firstScanHours (POLICY_FIRST_SCAN_HOURS). */
  firstScanHours: number;
  /** KUAIDI100_DAILY_QUERIES: queries per shop day, then the tracker stops asking. */
  dailyQueries: number;
  /** Queries for one order within an hour (default 6). */
  perOrderHourly?: number;
  /** The push endpoint's public URL (`${PUBLIC_BASE_URL}/hooks/kuaidi100`); with `salt`, parcels are subscribed. */
  callbackUrl?: string;
  /** KUAIDI100_SALT: signs the pushes; the push endpoint refuses everything without it. */
  salt?: string;
}

/** How long an answer is good for. */
const TTL = {
  positive: 30 * MINUTE,
  /** A parcel whose subscription pushes arrive: Kuaidi100 pushes on change. */
  pushFed: 2 * HOUR,
  noResult: 15 * MINUTE,
  transient: 5 * MINUTE,
  badSignature: 30 * MINUTE,
  /** 400/408: until the phone tail or carrier changes, but at most this. */
  inputError: 24 * HOUR,
  carrierUnknown: HOUR,
  detection: 24 * HOUR,
  resubscribe: 30 * MINUTE,
  subscribeRetry: 6 * HOUR,
};
const MAX_ENTRIES = 20_000;
const MAX_DETECT_CANDIDATES = 3;

interface Subscription {
  state: 'none' | 'pending' | 'active' | 'failed' | 'aborted' | 'ended';
  retryAt?: number;
}

interface Entry {
  key: string;
  num: string;
  /** The carrier code we query with (the shop's, detected, or corrected by a push); undefined = unknown. */
  com?: string;
  carrierName?: string;
  track?: TrackResult;
  trackAt?: number;
  /** The latest failure; shown only while no track is known. */
  problem?: TrackingProblem;
  /** The phone tail a 400/408 was answered for. */
  problemPhone?: string;
  aborted?: { message: string; at: number };
  nextQueryAt: number;
  pushFed: boolean;
  sub: Subscription;
  orders: Set<string>;
}

const CODE = /^[a-z0-9_-]{1,40}$/;
function carrierOf(d: TrackingDelivery): string | undefined {
  const c = (d.carrierCode ?? '').trim().toLowerCase();
  return c && c !== 'unknown' && CODE.test(c) ? c : undefined;
}
const keyOf = (d: TrackingDelivery) => `${carrierOf(d) ?? 'unknown'}|${d.trackingNo.trim()}`;
const signedTrack = (t: TrackResult | undefined) => !!t && carrierVerdict(t) === 'signed';
const INPUT_ERRORS: ReadonlySet<string> = new Set(['phone_required', 'bad_request']);
const TRANSIENT: ReadonlySet<string> = new Set(['server_error', 'server_busy', 'timeout', 'network', 'bad_response', 'rejected']);

export class Tracker {
  private readonly entries = new Map<string, Entry>();
  private readonly byNumber = new Map<string, Set<string>>();
  private readonly orderKeys = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly perOrder = new Map<string, number[]>();
  private readonly detected = new Map<string, { guesses: CarrierGuess[]; at: number }>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly warned = new Set<string>();
  private day = { key: '', used: 0 };
  /** The shop day on which Kuaidi100 answered 601 (no quota / key expired). */
  private blockedDay?: string;

  constructor(private readonly opts: TrackerOptions) {}

  /** The salt pushes are signed with (the push endpoint's secret). */
  get salt(): string | undefined {
    return this.opts.salt;
  }

  /** Whether parcels are subscribed to pushes (a callback URL and a salt are configured). */
  get subscribes(): boolean {
    return !!this.opts.callbackUrl && !!this.opts.salt;
  }

  /** Queries spent today (shop day). */
  queriesToday(now: Date = this.opts.clock.now()): number {
    return this.day.key === this.dayKey(now) ? this.day.used : 0;
  }

  /**
   * The order with what Kuaidi100 says about its parcel (only a `tracking_number` delivery; any
   * other order comes back as it is). Never throws: a failure becomes the honest hold.
   */
  async enrich(order: UnifiedOrder, now: Date = this.opts.clock.now()): Promise<UnifiedOrder> {
    const d = order.delivery;
    if (d?.kind !== 'tracking_number' || !d.trackingNo.trim()) return order;
    try {
      const movable = trackingMode(order) !== 'frozen';
      const view = await this.view(order.orderNo, d, now, movable);
      if (movable) this.maybeSubscribe(order, d, now);
      return applyTracking(order, view, this.mapping(now));
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error)?.name, order: idDigest(order.orderNo) }, 'kuaidi100: tracking failed; order shown as the shop has it');
      return order;
    }
  }

  /** A revealed tracking delivery with what Kuaidi100 says (never throws). */
  async enrichDelivery(orderNo: string, d: Delivery, now: Date = this.opts.clock.now()): Promise<Delivery> {
    if (d.kind !== 'tracking_number' || !d.trackingNo.trim()) return d;
    try {
      return trackDelivery(d, await this.view(orderNo, d, now, !d.signed), this.mapping(now));
    } catch {
      return d;
    }
  }

  /**
   * Subscribes the order's parcel to pushes (callback URL + `?o=<orderNo>`). False when pushes are
   * not configured or Kuaidi100 did not take it: the tracker keeps polling then.
   */
  async subscribe(order: UnifiedOrder): Promise<boolean> {
    const d = order.delivery;
    if (!this.subscribes || d?.kind !== 'tracking_number' || !d.trackingNo.trim()) return false;
    const entry = this.ensureEntry(keyOf(d), d);
    entry.orders.add(order.orderNo);
    entry.sub = { state: 'pending' };
    const url = new URL(this.opts.callbackUrl!);
    url.searchParams.set('o', order.orderNo);
    let ok = false;
    try {
      ok = await this.opts.api.subscribe({ com: entry.com, num: entry.num, phone: d.phoneTail, callbackUrl: url.toString(), salt: this.opts.salt! });
    } catch {
      ok = false;
    }
    entry.sub = ok ? { state: 'active' } : { state: 'failed', retryAt: this.opts.clock.now().getTime() + TTL.subscribeRetry };
    if (!ok) this.opts.logger.info({ parcel: idDigest(entry.num) }, 'kuaidi100: subscription not taken; polling instead');
    return ok;
  }

  /**
   * A verified push (the endpoint checked its sign). Updates what is known, never backwards: a
   * signed parcel stays signed, an older track is ignored, `updateall` repeats history, autoCheck=1
   * moves the parcel to `comNew`, `abort` marks an api-error hold and a resubscription.
   * `changed` is true only when what is known changed; `orderNos` are the orders to tell.
   */
  applyPush(orderNo: string | undefined, push: PushParam, now: Date = this.opts.clock.now()): { changed: boolean; orderNos: string[] } {
    const nu = (push.lastResult?.nu || push.nu || '').trim();
    if (!nu) return { changed: false, orderNos: [] };
    const corrected =
      push.autoCheck === '1' && push.comNew ? push.comNew : push.status === 'abort' && push.autoCheck === '0' && !push.comOld && push.comNew ? push.comNew : undefined;
    const pushCom = (corrected ?? (push.lastResult?.com || push.com || '')).toLowerCase() || undefined;

    const keys = new Set(this.byNumber.get(nu) ?? []);
    const knownKey = orderNo ? this.orderKeys.get(orderNo) : undefined;
    if (knownKey && this.entries.get(knownKey)?.num === nu) keys.add(knownKey);
    if (keys.size === 0) {
      const origin = (corrected && push.comOld ? push.comOld.toLowerCase() : pushCom) ?? 'unknown';
      const entry = this.ensureEntry(`${CODE.test(origin) ? origin : 'unknown'}|${nu}`, undefined, nu);
      entry.com = pushCom && CODE.test(pushCom) ? pushCom : entry.com;
      keys.add(entry.key);
    }

    let changed = false;
    const orderNos = new Set<string>();
    if (orderNo && (!knownKey || this.entries.get(knownKey)?.num === nu)) orderNos.add(orderNo);
    const t = now.getTime();
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      if (orderNo && orderNos.has(orderNo)) entry.orders.add(orderNo);
      for (const o of entry.orders) orderNos.add(o);
      const before = this.signature(entry);
      if (corrected && CODE.test(corrected.toLowerCase()) && entry.com !== corrected.toLowerCase()) {
        entry.com = corrected.toLowerCase();
        entry.carrierName = undefined;
      }
      let accepted = false;
      if (push.lastResult) accepted = this.merge(entry, push.lastResult, t);
      if (push.status === 'abort') {
        if (!signedTrack(entry.track)) entry.aborted = { message: push.message || push.lastMessage || '', at: t };
        entry.sub = { state: 'aborted', retryAt: t + TTL.resubscribe };
        entry.pushFed = false;
      } else {
        if (accepted) entry.aborted = undefined;
        if (push.status === 'shutdown') {
          entry.sub = { state: 'ended' };
          entry.pushFed = false;
        } else {
          entry.sub = { state: 'active' };
          entry.pushFed = true;
        }
      }
      if (accepted) entry.nextQueryAt = signedTrack(entry.track) ? Number.POSITIVE_INFINITY : t + (entry.pushFed ? TTL.pushFed : TTL.positive);
      if (this.signature(entry) !== before) changed = true;
    }
    this.opts.logger.debug({ parcel: idDigest(nu), status: push.status, state: push.lastResult?.state, changed }, 'kuaidi100: push');
    return { changed, orderNos: [...orderNos] };
  }

  /** Resolves when background work (subscriptions) has settled. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  // --- internals ---

  private mapping(now: Date): MappingOptions {
    return { now, firstScanHours: this.opts.firstScanHours, timeZone: this.opts.timeZone };
  }

  private async view(orderNo: string, d: TrackingDelivery, now: Date, mayQuery: boolean): Promise<TrackingView> {
    const key = keyOf(d);
    this.rememberOrder(orderNo, key);
    let entry = this.findEntry(key, d);
    if (mayQuery && this.due(entry, d, now)) {
      const flightKey = `${key}|${d.phoneTail ?? ''}`;
      const flight = this.inflight.get(flightKey);
      if (flight !== undefined) await flight;
      else {
        const gate = this.gate(orderNo, now);
        if (gate === 'ok') {
          const p = this.refresh(key, d, orderNo, now).finally(() => this.inflight.delete(flightKey));
          this.inflight.set(flightKey, p);
          await p;
        } else if (gate !== 'order_cap' && !entry?.track && !entry?.problem) {
          return { problem: { kind: 'api_error', reason: 'quota_reached', at: now } };
        }
      }
      entry = this.findEntry(key, d);
    }
    return entry ? this.viewOf(entry, d) : {};
  }

  private viewOf(entry: Entry, d: TrackingDelivery): TrackingView {
    const v: TrackingView = {};
    if (entry.com && entry.com !== carrierOf(d)) v.carrierCode = entry.com;
    if (entry.carrierName) v.carrierName = entry.carrierName;
    if (entry.track) {
      v.track = entry.track;
      v.trackAt = new Date(entry.trackAt ?? 0);
    }
    if (entry.aborted) v.problem = { kind: 'aborted', message: entry.aborted.message, at: new Date(entry.aborted.at) };
    else if (!entry.track && entry.problem) v.problem = entry.problem;
    return v;
  }

  private due(entry: Entry | undefined, d: TrackingDelivery, now: Date): boolean {
    if (!entry) return true;
    if (signedTrack(entry.track)) return false;
    if (entry.nextQueryAt <= now.getTime()) return true;
    const p = entry.problem;
    return !entry.track && p?.kind === 'api_error' && INPUT_ERRORS.has(p.reason) && (d.phoneTail ?? '') !== (entry.problemPhone ?? '');
  }

  private dayKey(now: Date): string {
    const f = localFields(now, this.opts.timeZone);
    return `${f.year}-${f.month}-${f.day}`;
  }

  private nextDayStart(now: Date): number {
    const f = localFields(now, this.opts.timeZone);
    return fromLocal(this.opts.timeZone, f.year, f.month, f.day + 1).getTime();
  }

  private warnOnce(key: string, obj: object, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.logger.warn(obj, msg);
  }

  /** Whether one more query may be spent now (counts nothing). */
  private gate(orderNo: string, now: Date): 'ok' | 'blocked' | 'daily' | 'order_cap' {
    const dk = this.dayKey(now);
    if (this.blockedDay === dk) return 'blocked';
    if (this.day.key !== dk) this.day = { key: dk, used: 0 };
    if (this.day.used >= this.opts.dailyQueries) {
      this.warnOnce(`daily|${dk}`, { limit: this.opts.dailyQueries }, 'kuaidi100: KUAIDI100_DAILY_QUERIES reached; no more tracking queries today');
      return 'daily';
    }
    const since = now.getTime() - HOUR;
    const hits = (this.perOrder.get(orderNo) ?? []).filter((t) => t > since);
    if (hits.length >= (this.opts.perOrderHourly ?? 6)) return 'order_cap';
    return 'ok';
  }

  private spend(orderNo: string, now: Date): void {
    const dk = this.dayKey(now);
    if (this.day.key !== dk) this.day = { key: dk, used: 0 };
    this.day.used++;
    const since = now.getTime() - HOUR;
    const hits = (this.perOrder.get(orderNo) ?? []).filter((t) => t > since);
    hits.push(now.getTime());
    this.perOrder.set(orderNo, hits);
    if (this.perOrder.size > MAX_ENTRIES) {
      for (const [k, v] of this.perOrder) if (!v.some((t) => t > since)) this.perOrder.delete(k);
    }
  }

  private async detect(num: string, now: Date): Promise<CarrierGuess[]> {
    const hit = this.detected.get(num);
    if (hit && now.getTime() - hit.at < TTL.detection) return hit.guesses;
    let guesses: CarrierGuess[] = [];
    try {
      guesses = await this.opts.api.detectCarrier(num);
    } catch {
      guesses = [];
    }
    if (guesses.length > 0) {
      if (this.detected.size > MAX_ENTRIES) this.detected.clear();
      this.detected.set(num, { guesses, at: now.getTime() });
    }
    return guesses;
  }

  private async refresh(key: string, d: TrackingDelivery, orderNo: string, now: Date): Promise<void> {
    const entry = this.ensureEntry(key, d);
    const candidates: CarrierGuess[] = entry.com ? [{ comCode: entry.com, name: entry.carrierName }] : (await this.detect(entry.num, now)).slice(0, MAX_DETECT_CANDIDATES);
    const t = now.getTime();
    if (candidates.length === 0) {
      if (!entry.track) entry.problem = { kind: 'api_error', reason: 'carrier_unknown', at: now };
      entry.nextQueryAt = t + TTL.carrierUnknown;
      return;
    }
    let result: QueryResult | undefined;
    let used: CarrierGuess | undefined;
    for (const [i, c] of candidates.entries()) {
      if (i > 0 && this.gate(orderNo, now) !== 'ok') break;
      this.spend(orderNo, now);
      used = c;
      try {
        result = await this.opts.api.query({ com: c.comCode, num: entry.num, phone: d.phoneTail });
      } catch {
        result = { ok: false, failure: 'network' };
      }
      // Detected carriers are tried in turn while they do not know the number.
      if (entry.com || result.ok || (result.failure !== 'no_result' && result.failure !== 'number_unknown')) break;
    }
    if (!result || !used) return;
    this.record(entry, result, used, d, now);
  }

  private record(entry: Entry, result: QueryResult, used: CarrierGuess, d: TrackingDelivery, now: Date): void {
    const t = now.getTime();
    if (result.ok) {
      if (!entry.com) {
        entry.com = used.comCode;
        if (used.name) entry.carrierName = used.name;
      }
      if (this.merge(entry, result.track, t)) entry.aborted = undefined;
      entry.problem = undefined;
      entry.nextQueryAt = signedTrack(entry.track) ? Number.POSITIVE_INFINITY : t + (entry.pushFed ? TTL.pushFed : TTL.positive);
      return;
    }
    const { failure } = result;
    const keepNotScanned = TRANSIENT.has(failure) && entry.problem?.kind === 'not_scanned';
    if (failure === 'no_result' || failure === 'number_unknown') {
      if (!entry.track) entry.problem = { kind: 'not_scanned', at: now };
      entry.nextQueryAt = t + TTL.noResult;
      return;
    }
    if (!entry.track && !keepNotScanned) entry.problem = { kind: 'api_error', reason: failure, at: now };
    if (INPUT_ERRORS.has(failure)) {
      entry.problemPhone = d.phoneTail ?? '';
      entry.nextQueryAt = t + TTL.inputError;
    } else if (failure === 'quota') {
      this.blockedDay = this.dayKey(now);
      this.warnOnce(`601|${this.blockedDay}`, { returnCode: result.returnCode }, 'kuaidi100: no query quota left or the key expired (601); tracking queries stop until tomorrow');
      entry.nextQueryAt = this.nextDayStart(now);
    } else if (failure === 'bad_signature') {
      this.warnOnce('503', { returnCode: result.returnCode }, 'kuaidi100: signature refused (503); check KUAIDI100_CUSTOMER and KUAIDI100_KEY');
      entry.nextQueryAt = t + TTL.badSignature;
    } else {
      entry.nextQueryAt = t + TTL.transient;
    }
  }

  /** Takes a track unless it moves backwards (un-signs, or is older than what is known). */
  private merge(entry: Entry, track: TrackResult, t: number): boolean {
    const cur = entry.track;
    if (cur) {
      if (signedTrack(cur) && !signedTrack(track)) return false;
      const curNewest = cur.data[0]?.ftime ?? '';
      const newNewest = track.data[0]?.ftime ?? '';
      if (newNewest < curNewest) return false;
      if (newNewest === curNewest && track.state === cur.state && track.ischeck === cur.ischeck && track.data.length <= cur.data.length) {
        entry.trackAt = Math.max(entry.trackAt ?? 0, t);
        return false;
      }
    }
    entry.track = track;
    entry.trackAt = t;
    entry.problem = undefined;
    return true;
  }

  private signature(entry: Entry): string {
    const tr = entry.track;
    return [entry.com ?? '', tr?.state ?? '', tr?.ischeck ?? '', tr?.data[0]?.ftime ?? '', tr?.data.length ?? 0, entry.aborted ? `A:${entry.aborted.message}` : ''].join('|');
  }

  private ensureEntry(key: string, d: TrackingDelivery | undefined, num = d?.trackingNo.trim() ?? ''): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= MAX_ENTRIES) this.evictOldest();
      entry = { key, num, com: d ? carrierOf(d) : undefined, nextQueryAt: 0, pushFed: false, sub: { state: 'none' }, orders: new Set() };
      this.entries.set(key, entry);
      let keys = this.byNumber.get(num);
      if (!keys) this.byNumber.set(num, (keys = new Set()));
      keys.add(key);
    }
    return entry;
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next().value;
    if (oldest === undefined) return;
    const entry = this.entries.get(oldest)!;
    this.entries.delete(oldest);
    const keys = this.byNumber.get(entry.num);
    keys?.delete(oldest);
    if (keys?.size === 0) this.byNumber.delete(entry.num);
  }

  /** The exact (carrier, number) entry, else one for the number that a push or detection moved to this carrier. */
  private findEntry(key: string, d: TrackingDelivery): Entry | undefined {
    const exact = this.entries.get(key);
    if (exact) return exact;
    const keys = this.byNumber.get(d.trackingNo.trim());
    if (!keys) return undefined;
    const com = carrierOf(d);
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && (com ? e.com === com : !!e.track)) return e;
    }
    return undefined;
  }

  private rememberOrder(orderNo: string, key: string): void {
    if (this.orderKeys.size >= MAX_ENTRIES) {
      const first = this.orderKeys.keys().next().value;
      if (first !== undefined) this.orderKeys.delete(first);
    }
    this.orderKeys.set(orderNo, key);
    const entry = this.entries.get(key);
    if (entry && entry.orders.size < 8) entry.orders.add(orderNo);
  }

  private maybeSubscribe(order: UnifiedOrder, d: TrackingDelivery, now: Date): void {
    // Without quota (601) a subscription would be refused as well.
    if (!this.subscribes || this.blockedDay === this.dayKey(now)) return;
    const entry = this.findEntry(keyOf(d), d);
    if (entry && signedTrack(entry.track)) return;
    const sub = entry?.sub ?? { state: 'none' };
    const due = sub.state === 'none' || ((sub.state === 'failed' || sub.state === 'aborted') && (sub.retryAt ?? 0) <= now.getTime());
    if (!due) return;
    const p = this.subscribe(order).catch(() => false);
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }
}

/** A Tracker from the app's settings: subscribes when KUAIDI100_SALT and PUBLIC_BASE_URL are both set. */
export function trackerFromSettings(
  settings: Kuaidi100Settings,
  deps: { clock: Clock; logger: TrackerLogger; policy: Pick<Policy, 'firstScanHours' | 'timeZone'>; publicBaseUrl?: string; api?: Kuaidi100Api; timeoutMs?: number },
): Tracker {
  const api =
    deps.api ??
    new Kuaidi100Client({
      customer: settings.KUAIDI100_CUSTOMER,
      key: settings.KUAIDI100_KEY,
      apiBase: settings.KUAIDI100_API_BASE,
      autonumBase: settings.KUAIDI100_AUTONUM_BASE,
      timeoutMs: deps.timeoutMs,
    });
  const base = deps.publicBaseUrl?.replace(/\/+$/, '');
  return new Tracker({
    api,
    clock: deps.clock,
    logger: deps.logger,
    timeZone: deps.policy.timeZone,
    firstScanHours: deps.policy.firstScanHours,
    dailyQueries: settings.KUAIDI100_DAILY_QUERIES,
    salt: settings.KUAIDI100_SALT,
    callbackUrl: base && settings.KUAIDI100_SALT ? `${base}/hooks/kuaidi100` : undefined,
  });
}

/**
 * The order service with Kuaidi100 tracking: every order it returns (by number, alternative number,
 * candidates) and a revealed tracking delivery are enriched. Errors of the service itself pass
 * through unchanged; tracking never adds one.
 */
export function withTracking(service: OrderService, tracker: Tracker, clock: Clock): OrderService {
  const one = async (o: UnifiedOrder | null) => (o ? tracker.enrich(o, clock.now()) : o);
  return {
    findByOrderNo: async (orderNo) => one(await service.findByOrderNo(orderNo)),
    findByAltNo: async (altNo) => one(await service.findByAltNo(altNo)),
    findCandidates: async (query) => {
      const orders = await service.findCandidates(query);
      const now = clock.now();
      return Promise.all(orders.map((o) => tracker.enrich(o, now)));
    },
    verifyOwnership: (orderNo, proof) => service.verifyOwnership(orderNo, proof),
    revealDelivery: async (orderNo, proof) => {
      const d = await service.revealDelivery(orderNo, proof);
      return d?.kind === 'tracking_number' ? tracker.enrichDelivery(orderNo, d, clock.now()) : d;
    },
  };
}

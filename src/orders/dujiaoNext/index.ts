/**
 * The Dujiao-Next adapter (ORDER_ADAPTER=dujiao-next) over the shop's documented buyer API
 * (brief §4, mode A): orders are shown only after the buyer gave the checkout e-mail and the order
 * password; see service.ts for what each port operation can and cannot do.
 */
import type { DujiaoNextSettings } from '../settings.js';
import { systemClock } from '../../time.js';
import type { AdapterContext, ShopAdapter } from '../registry.js';
import { callbackRouter } from './callback.js';
import { DujiaoNextClient } from './client.js';
import { DujiaoNextOrderService } from './service.js';

export { CALLBACK_ROUTE, CALLBACK_SIGNED_PATH, callbackRouter, callbackSignature, verifyCallback } from './callback.js';
export { DujiaoNextClient, type GuestCredentials } from './client.js';
export { type MapOptions, mapOrder, mapStatus, partsOf, productTypeFor, trackingIn, truncatedPayloads } from './mapping.js';
export { CACHE_TTL_MS, DujiaoNextOrderService } from './service.js';

export interface DujiaoNextAdapter extends ShopAdapter {
  name: 'dujiao-next';
  /** The concrete service: `refresh(orderNo, proof)` re-reads an order with a stored proof (notify-me). */
  service: DujiaoNextOrderService;
}

const keyList = (s: string) =>
  s
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

export async function openDujiaoNext(ctx: AdapterContext, settings: DujiaoNextSettings): Promise<DujiaoNextAdapter> {
  const logger = ctx.logger.child({ adapter: 'dujiao-next' });
  const client = new DujiaoNextClient({ base: settings.SHOP_API_BASE, timeoutMs: settings.SHOP_API_TIMEOUT_MS, logger });
  const service = new DujiaoNextOrderService({
    client,
    clock: ctx.clock,
    logger,
    orderNoPattern: new RegExp(settings.SHOP_ORDER_NO_PATTERN),
    mapping: {
      rules: settings.SHOP_PRODUCT_TYPES,
      supplierSlaMin: ctx.config.policy.supplierSlaMin,
      trackingKeys: keyList(settings.DUJIAO_NEXT_TRACKING_KEYS),
      carrierKeys: keyList(settings.DUJIAO_NEXT_CARRIER_KEYS),
    },
  });
  // The signed callback only reaches procurement orders placed through the site-to-site API;
  // buyers' orders never trigger it, so this adapter does not push changes and notify-me polls
  // (service.refresh with the buyer's proof).
  const hooks =
    settings.DUJIAO_NEXT_API_KEY && settings.DUJIAO_NEXT_API_SECRET
      ? callbackRouter({ apiKey: settings.DUJIAO_NEXT_API_KEY, apiSecret: settings.DUJIAO_NEXT_API_SECRET, clock: ctx.signingClock ?? systemClock, logger, events: ctx.events })
      : undefined;
  return { name: 'dujiao-next', service, hooks, pushesChanges: false, close: async () => undefined };
}

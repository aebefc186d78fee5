/**
 * The `http` order adapter (ORDER_ADAPTER=http): any shop that implements the contract of
 * docs/shop-api.openapi.json (guide: docs/shop-api.md; example: examples/shop-server/). The bot
 * calls the shop's five signed POST operations and receives its signed change events at
 * /hooks/http/events.
 */
import type { AdapterContext, ShopAdapter } from '../registry.js';
import type { HttpShopSettings } from '../settings.js';
import { systemClock } from '../../time.js';
import { ShopApiClient } from './client.js';
import { httpEventsRouter } from './events.js';
import { HttpOrderService } from './service.js';

export { ShopApiClient } from './client.js';
export { EVENTS_PATH, httpEventsRouter } from './events.js';
export { HttpOrderService } from './service.js';
export { sign, signedHeaders, verifySignature } from './signature.js';

export async function openHttpShop(ctx: AdapterContext, settings: HttpShopSettings, fetchImpl: typeof fetch = fetch): Promise<ShopAdapter> {
  const logger = ctx.logger.child({ adapter: 'http' });
  const signing = ctx.signingClock ?? systemClock;
  const client = new ShopApiClient(settings, signing, logger, fetchImpl);
  const service = new HttpOrderService(client, logger);
  const hooks = httpEventsRouter({ secret: settings.SHOP_API_SECRET, key: settings.SHOP_API_KEY, clock: signing, events: ctx.events, logger });
  logger.info({ shop: new URL(settings.SHOP_API_BASE).origin }, 'http shop adapter ready');
  return { name: 'http', service, hooks, pushesChanges: true, close: async () => undefined };
}

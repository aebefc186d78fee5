/**
 * Order-service adapters by name (ORDER_ADAPTER). The app holds an `OrderService` and never a
 * concrete adapter; what only one adapter has (the demo shop's seeding, its example orders, its
 * pages' buyer list) stays with that adapter, behind `ShopAdapter`'s optional parts.
 */
import type { Router } from 'express';
import type pino from 'pino';
import type { Config, Policy } from '../config.js';
import type { Cause } from '../diagnosis/index.js';
import type { Store } from '../storage/index.js';
import type { Clock } from '../time.js';
import { DemoOrderService, type DemoOrderRecord } from './demo/demoOrderService.js';
import { demoExamples } from './demo/examples.js';
import { demoOrders } from './demo/seedOrders.js';
import { openAcgfaka } from './acgfaka/index.js';
import { openDujiaoka } from './dujiaoka/index.js';
import { openDujiaoNext } from './dujiaoNext/index.js';
import { openHttpShop } from './http/index.js';
import type { OrderEvents } from './events.js';
import type { OrderService } from './port.js';

export interface AdapterContext {
  config: Config;
  clock: Clock;
  logger: pino.Logger;
  store: Store;
  /**
   * The clock request signatures and their time windows use (the http contract, Dujiao-Next's
   * callback): real time by default, whatever the shop clock is (an evaluation fixes that one).
   */
  signingClock?: Clock;
  /** Where the adapter's webhooks report that an order may have moved (notify-me listens). */
  events: OrderEvents;
  /** Orders to load instead of the demo seed (evaluation, tests; the demo adapter only). */
  orders?: DemoOrderRecord[];
}

export interface ShopAdapter {
  name: Config['orderAdapter'];
  service: OrderService;
  /** One order number per diagnosed cause, for a newcomer to try (the demo shop). */
  examples?(now: Date, policy: Policy): Promise<Partial<Record<Cause, string>>>;
  /** The demo shop itself (its pages, tests that change its orders). */
  demo?: DemoOrderService;
  /** Endpoints the shop calls (its webhooks), mounted under /hooks/. */
  hooks?: Router;
  /**
   * Whether the shop tells us when an order moves (webhooks that reach notify-me). Informational:
   * notify-me polls every adapter with backoff; an event only makes a watch due at once.
   */
  pushesChanges?: boolean;
  close?(): Promise<void>;
}

type Factory = (ctx: AdapterContext) => Promise<ShopAdapter>;

const demo: Factory = async ({ config, clock, logger, store, orders }) => {
  const service = new DemoOrderService(store.repos.demoOrders);
  if (orders) await service.upsert(orders);
  else if (config.demoSeed && (await service.count()) === 0) {
    await service.upsert(demoOrders(clock.now()));
    logger.info({ orders: await service.count() }, 'demo shop seeded');
  }
  return { name: 'demo', service, demo: service, examples: (now, policy) => demoExamples(service, now, policy) };
};

const dujiaoka: Factory = (ctx) => {
  const s = ctx.config.shop;
  if (s.adapter !== 'dujiaoka') throw new Error('dujiaoka settings missing');
  return openDujiaoka(ctx, s.dujiaoka);
};

const acgfaka: Factory = (ctx) => {
  const s = ctx.config.shop;
  if (s.adapter !== 'acgfaka') throw new Error('acgfaka settings missing');
  return openAcgfaka(ctx, s.acgfaka);
};

const http: Factory = (ctx) => {
  const s = ctx.config.shop;
  if (s.adapter !== 'http') throw new Error('http settings missing');
  return openHttpShop(ctx, s.http);
};

const dujiaoNext: Factory = (ctx) => {
  const s = ctx.config.shop;
  if (s.adapter !== 'dujiao-next') throw new Error('dujiao-next settings missing');
  return openDujiaoNext(ctx, s.dujiaoNext);
};

export const ADAPTERS: Record<Config['orderAdapter'], Factory> = { demo, dujiaoka, acgfaka, 'dujiao-next': dujiaoNext, http };

export function openShop(ctx: AdapterContext): Promise<ShopAdapter> {
  return ADAPTERS[ctx.config.orderAdapter](ctx);
}

/**
 * The demo shop's own backend, for trying the whole story: "log in" as a demo buyer, list their
 * orders as the shop would, and get a chat token bound to that buyer (what a real shop does with
 * POST /v3/directline/tokens/generate and its secret). Only mounted with the demo order adapter.
 */
import express from 'express';
import type { App } from '../app.js';
import type { DirectLine } from '../channels/directline/index.js';
import { DEMO_BUYERS } from '../orders/demo/seedOrders.js';
import { PRODUCT_LABEL, statusLabel } from '../replies/labels.js';
import { toShopIso } from '../time.js';

export function demoRouter(app: App, directLine: DirectLine): express.Router {
  const router = express.Router();
  const buyer = (req: express.Request) => DEMO_BUYERS.find((b) => b.id === req.query.buyer) ?? DEMO_BUYERS[0]!;

  // One order number per diagnosed cause, for a newcomer (the terminal chat prints them).
  router.get('/demo/examples', async (_req, res) => {
    res.json({ examples: (await app.shop.examples?.(app.clock.now(), app.config.policy)) ?? {} });
  });

  router.get('/demo/buyers', (_req, res) => {
    res.json(DEMO_BUYERS.map((b) => ({ id: b.id, name: b.name })));
  });

  router.get('/demo/orders', async (req, res) => {
    const b = buyer(req);
    const orders = await app.orders.findCandidates({ userId: b.id, limit: 50 });
    res.json({
      buyer: { id: b.id, name: b.name },
      orders: orders.map((o) => ({
        orderNo: o.orderNo,
        title: o.title,
        product: PRODUCT_LABEL[o.productType],
        amount: o.amount,
        status: statusLabel(o),
        paidAt: o.paidAt ? toShopIso(new Date(o.paidAt), app.config.timeZone) : null,
        createdAt: toShopIso(new Date(o.createdAt), app.config.timeZone),
      })),
    });
  });

  router.post('/demo/login-token', (req, res) => {
    const b = buyer(req);
    res.json(directLine.mintForBuyer({ id: b.id, contact: b.contact }));
  });
  return router;
}

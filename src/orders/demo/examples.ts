/** One demo order number per diagnosed cause, so a newcomer knows what to type. */
import type { Policy } from '../../config.js';
import { type Cause, diagnoseOrder } from '../../diagnosis/index.js';
import type { DemoOrderService } from './demoOrderService.js';

export async function demoExamples(orders: DemoOrderService, now: Date, policy: Policy): Promise<Partial<Record<Cause, string>>> {
  const out: Partial<Record<Cause, string>> = {};
  for (const no of await orders.allOrderNos()) {
    const order = await orders.findByOrderNo(no);
    if (!order) continue;
    const { cause } = diagnoseOrder(order, { moneyTaken: false, wantsTracking: false }, now, policy);
    out[cause] ??= order.orderNo;
  }
  return out;
}

/**
 * What a live agent does to an order from the console — re-issues a code, records a refund, adds a
 * note for the buyer — kept in our database and laid over the shop's order wherever the bot reads
 * it (OrderService decorator), so the bot's next answer says what the agent did. The shop
 * systems are read-only to the bot (their databases through SELECT-only accounts): the action is
 * ours to record, and the agent still does the real thing in the shop's own admin.
 *
 * A re-issued code is a secret like any other: orders carry it masked; it is revealed only to a
 * buyer whose proof the shop's own check accepts (or to staff), never written to a transcript.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { maskDelivery, maskSecret } from './masking.js';
import type { Delivery, TimelineEvent, UnifiedOrder } from './model.js';
import type { CandidateQuery, OrderService, OwnershipProof } from './port.js';

export const OrderAction = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('reissue_code'),
      /** The new codes (or keys), one per item. */
      codes: z.array(z.string().trim().min(4).max(500)).min(1).max(50),
      reason: z.string().trim().min(2).max(200),
      /**
       * Which of the order's codes they stand in for (1-based, one per new code); the others stay.
       * Omitted: the new codes are the order's codes from now on (all of them are replaced).
       */
      replaces: z.array(z.number().int().min(1).max(50)).min(1).max(50).optional(),
    })
    .refine((a) => !a.replaces || (a.replaces.length === a.codes.length && new Set(a.replaces).size === a.replaces.length), {
      message: 'replaces: one distinct position per new code',
      path: ['replaces'],
    }),
  z.object({
    kind: z.literal('refund'),
    /** Yuan, a decimal string; omitted: the whole order. */
    amount: z
      .string()
      .regex(/^\d+(\.\d{1,2})?$/)
      .optional(),
    /** Where the money goes back (原路退回, 微信零钱, 支付宝…). */
    channel: z.string().trim().min(1).max(40).default('原路退回'),
  }),
  z.object({
    kind: z.literal('note'),
    /** A sentence for the buyer, which the bot repeats when it answers about this order. */
    text: z.string().trim().min(2).max(300),
  }),
]);
export type OrderAction = z.infer<typeof OrderAction>;

export interface StoredAction {
  id: string;
  orderNo: string;
  action: OrderAction;
  agentId: string;
  at: number;
}

export interface OrderActionRepo {
  add(a: StoredAction): Promise<void>;
  /** Oldest first. */
  forOrder(orderNo: string): Promise<StoredAction[]>;
}

export class OrderActions {
  constructor(private readonly repo: OrderActionRepo) {}

  async record(orderNo: string, action: OrderAction, agentId: string, at: Date): Promise<StoredAction> {
    const stored = { id: randomUUID(), orderNo, action: OrderAction.parse(action), agentId, at: at.getTime() };
    await this.repo.add(stored);
    return stored;
  }

  forOrder(orderNo: string): Promise<StoredAction[]> {
    return this.repo.forOrder(orderNo);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The order as the agents' actions left it (codes as the given order holds them: masked or plaintext). */
export function overlay(order: UnifiedOrder, actions: StoredAction[]): UnifiedOrder {
  if (actions.length === 0) return order;
  let o: UnifiedOrder = { ...order, timeline: [...order.timeline], holdReasons: [...order.holdReasons] };
  const events: TimelineEvent[] = [];
  for (const { action, at } of actions) {
    switch (action.kind) {
      case 'reissue_code': {
        const kind = o.delivery?.kind === 'license_key' ? 'license_key' : 'card_codes';
        const before = o.delivery?.kind === 'card_codes' || o.delivery?.kind === 'license_key' ? o.delivery : undefined;
        const fresh = action.codes.map((plaintext) => ({ plaintext }));
        if (action.replaces && before) {
          // One card of several was bad: that one is swapped, the buyer keeps the others.
          const items = [...before.items];
          action.replaces.forEach((pos, k) => {
            items[pos - 1] = fresh[k]!;
          });
          o.delivery = { kind, items: items.map((i) => i ?? {}), expected: Math.max(before.expected ?? 0, items.length), deliveredAt: iso(at) };
        } else o.delivery = { kind, items: fresh, expected: action.codes.length, deliveredAt: iso(at) };
        if (!['refunded', 'partially_refunded', 'canceled', 'expired'].includes(o.status)) {
          o.status = 'delivered';
          o.holdReasons = [];
        }
        events.push({ at: iso(at), type: 'delivered', source: 'operator', text: '客服已补发' });
        break;
      }
      case 'refund': {
        const partial = action.amount !== undefined && Number(action.amount) < Number(o.amount);
        o.status = partial ? 'partially_refunded' : 'refunded';
        o.holdReasons = [];
        events.push({ at: iso(at), type: 'refunded', source: 'operator', text: `已退款 ¥${action.amount ?? o.amount}，${action.channel}` });
        break;
      }
      case 'note':
        events.push({ at: iso(at), type: 'note', source: 'operator', text: action.text });
        break;
    }
  }
  o = { ...o, timeline: [...o.timeline, ...events], updatedAt: iso(actions.at(-1)!.at) };
  return o;
}

/** The agent's latest note for the buyer on this order, if any. */
export function operatorNote(order: UnifiedOrder): string | undefined {
  return [...order.timeline].reverse().find((e) => e.type === 'note' && e.source === 'operator')?.text;
}

function masked(order: UnifiedOrder): UnifiedOrder {
  return order.delivery ? { ...order, delivery: maskDelivery(order.delivery) } : order;
}

/**
 * The order service with the agents' actions laid over every order it returns. A re-issued code
 * is revealed for exactly the proofs the shop itself accepts for that order.
 */
export function withActions(service: OrderService, actions: OrderActions): OrderService {
  const apply = async (o: UnifiedOrder | null): Promise<UnifiedOrder | null> => (o ? masked(overlay(o, await actions.forOrder(o.orderNo))) : null);
  return {
    findByOrderNo: async (no: string) => apply(await service.findByOrderNo(no)),
    findByAltNo: async (no: string) => apply(await service.findByAltNo(no)),
    findCandidates: async (q: CandidateQuery) => Promise.all((await service.findCandidates(q)).map(async (o) => (await apply(o))!)),
    verifyOwnership: (no: string, proof: OwnershipProof) => service.verifyOwnership(no, proof),
    async revealDelivery(no: string, proof: OwnershipProof): Promise<Delivery | null> {
      const own = await service.findByOrderNo(no).catch(() => null);
      const done = own ? await actions.forOrder(own.orderNo) : [];
      const reissues = done.filter((a) => a.action.kind === 'reissue_code');
      if (!reissues.length || !own) return service.revealDelivery(no, proof);
      if (!(await service.verifyOwnership(no, proof))) return null;
      // Codes an agent replaced only some of: the others are the shop's, revealed by its own check.
      const partly = reissues.some((a) => a.action.kind === 'reissue_code' && a.action.replaces);
      const shop = partly ? await service.revealDelivery(no, proof) : null;
      return overlay(shop ? { ...own, delivery: shop } : own, done).delivery ?? null;
    },
  };
}

/** For logs and the console: a re-issue shows its codes masked. */
export function describeAction(a: OrderAction): string {
  switch (a.kind) {
    case 'reissue_code':
      return `补发 ${a.codes.map(maskSecret).join('、')}${a.replaces ? `，换掉第 ${a.replaces.join('、')} 张` : ''}（${a.reason}）`;
    case 'refund':
      return `退款 ${a.amount ? `¥${a.amount}` : '全额'}（${a.channel}）`;
    case 'note':
      return `备注：${a.text}`;
  }
}

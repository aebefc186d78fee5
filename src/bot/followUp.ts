/**
 * Follow-ups about the order the conversation is about. After the bot has answered an order, a
 * buyer asks about *that* order: "我要退款", "多久能退回来", "快递单号呢", "为什么要审核", "卡密提示
 * 已被使用", "新的卡密在哪". Each gets an answer to what was asked, from the order as it is now
 * (looked up again), instead of the whole status block once more. Wait questions while a person
 * has the case ("还要等多久", "人呢") get the queue or the ticket. Dialogs decide when; this knows
 * how (and owns no wording).
 */
import { record } from './outcome.js';
import type { TurnContext } from 'botbuilder';
import { formatHours, isOpen } from '../calendar.js';
import { type Diagnosis, diagnoseOrder } from '../diagnosis/index.js';
import { maskNumbers } from '../orders/masking.js';
import type { UnifiedOrder } from '../orders/model.js';
import { BUTTONS, CAUSE_LABEL, deliveredHowTo, explain, maskedDelivery, say, ticketNote } from '../replies/index.js';
import { HOLD_LABEL } from '../replies/labels.js';
import type { Understanding } from '../understanding/index.js';
import { conversationOf } from './channelKey.js';
import { type Desk, session } from './desk.js';
import { turnData } from './types.js';

export type Ask = 'refund' | 'tracking' | 'dispute' | 'new_code' | 'when' | 'why' | 'status' | 'account';

/** What a message asks about the current order, if it asks something specific. */
export function askOf(u: Understanding): Ask | undefined {
  const s = u.signals;
  if (s.newCode) return 'new_code';
  if (s.accountCheck && /\d{4,}/.test(u.text)) return 'account';
  if (s.codeUsed && (u.intent === 'card_code' || s.wantsCode)) return 'dispute';
  if (u.intent === 'refund') return 'refund';
  if (s.wantsTracking) return 'tracking';
  if (s.wheresMoney) return 'refund';
  if (s.asksWhy) return 'why';
  if (s.asksWhen) return 'when';
  return undefined;
}

const codesOf = (o: UnifiedOrder) => (o.delivery && (o.delivery.kind === 'card_codes' || o.delivery.kind === 'license_key') ? o.delivery.items.map((i) => i.masked ?? '****') : []);
const codeWord = (o: UnifiedOrder) => (o.productType === 'software_license' || o.delivery?.kind === 'license_key' ? '激活码' : '卡密');

/**
 * Answers a follow-up about the current order. Undefined when there is no current order or the
 * order cannot be read: the caller answers the usual way.
 */
export async function followUp(desk: Desk, ctx: TurnContext, ask: Ask): Promise<'answered' | 'rate_limited' | 'error' | undefined> {
  const t = turnData(ctx);
  const sess = session(ctx);
  if (!sess.current) return undefined;
  if (!(await desk.allowLookup(ctx))) return 'rate_limited';
  let order: UnifiedOrder | null;
  try {
    order = await desk.s.orders.findByOrderNo(sess.current.orderNo);
  } catch (err) {
    await desk.shopDown(ctx, sess.current.orderNo, err);
    return 'error';
  }
  if (!order) return undefined;
  const policy = desk.s.config.policy;
  const d = diagnoseOrder(order, sess.claims, t.now, policy);
  const rc = desk.replyContext(t);
  const shown = sess.current.masked ? maskNumbers(order) : order;
  record(ctx, { lookup: { found: true, status: order.status, holdReasons: order.holdReasons } });
  record(ctx, { cause: d.cause });
  const told = explain(d, shown, {}, rc);
  // "还没到吗" while people have the case: if nothing changed, say so and where the case is, not the block again.
  const unchanged = d.cause === sess.current.cause && d.step === sess.current.step;
  Object.assign(sess.current, { cause: d.cause, told, pastWindow: d.pastWindow, step: unchanged ? sess.current.step : d.step });
  // A follow-up does its own work (a ticket it files is filed): the dialog has nothing left to run.
  const answered = (step: 'answered' | 'contact' | 'self_check' = 'answered'): 'answered' => {
    record(ctx, { step: step });
    return 'answered';
  };

  switch (ask) {
    case 'status': {
      if (!unchanged || !(await withPeople(desk, ctx))) return undefined;
      await desk.send(ctx, say.noChange(told));
      await answerWait(desk, ctx);
      return 'answered';
    }
    case 'refund':
      return answered(await refund(desk, ctx, order, d));
    case 'account': {
      // The buyer's number against the account the order holds (masked: its visible digits).
      const account = order.delivery?.kind === 'topup_receipt' ? order.delivery.account : undefined;
      const given = (t.u.contact?.value ?? t.u.text.match(/\d[\d\s-]{3,}\d/)?.[0] ?? '').replace(/\D/g, '');
      if (!account || !given) return undefined;
      const [head = '', tail = ''] = account.split(/\*+/);
      const matches = given.length >= head.length + tail.length && given.startsWith(head.replace(/\D/g, '')) && given.endsWith(tail.replace(/\D/g, ''));
      await desk.send(ctx, matches ? say.accountMatches(account) : say.accountDiffers(account));
      return answered();
    }
    case 'tracking': {
      if (order.productType !== 'physical_card' && order.delivery?.kind !== 'tracking_number') {
        // Where it stands, in a line (the whole explanation was said before).
        const open = await desk.openTicket(ctx);
        const why = order.holdReasons.map((r) => HOLD_LABEL[r]).join('、') || CAUSE_LABEL[d.cause];
        const state =
          d.cause === 'delivered' || d.cause === 'code_not_tracking' || d.cause === 'refunded'
            ? ''
            : `\n${say.notYetDelivered(codeWord(order), why)}${open ? say.inTicket(open.id) : ''}`;
        await desk.send(ctx, say.noTracking(order.title || codeWord(order)) + state);
        return answered();
      }
      if (shown.delivery?.kind === 'tracking_number') await desk.send(ctx, maskedDelivery(shown.delivery, rc, shown.status));
      else await desk.send(ctx, `${say.notShipped()}\n${told}`);
      return answered();
    }
    // Why and when are answered, not escalated again: climbing the ladder is "还是没到"'s job.
    case 'why': {
      const howTo = (d.cause === 'delivered' || d.cause === 'code_not_tracking') && codesOf(order).length ? deliveredHowTo(order) : '';
      await desk.send(ctx, [told, order.shopNotice ? say.shopSays(order.shopNotice) : '', howTo].filter(Boolean).join('\n'));
      return answered();
    }
    case 'when': {
      if (await answerWait(desk, ctx)) return 'answered';
      await desk.send(ctx, told);
      return answered();
    }
    case 'dispute': {
      const codes = codesOf(order);
      if (codes.length === 0) return undefined; // nothing delivered yet: the usual answer says so
      sess.disputed = { orderNo: order.orderNo, items: codes, at: t.now.toISOString() };
      const ticket = await desk.fileTicket(ctx, ticketNote.codeDispute(codes.join('、'), t.u.text));
      await desk.send(ctx, say.disputeFiled(codeWord(order), codes.join('、'), ticket.id, new Date(ticket.dueAt), rc), BUTTONS.agent);
      return answered('contact');
    }
    case 'new_code': {
      const codes = codesOf(order);
      const before = sess.disputed?.orderNo === order.orderNo ? sess.disputed.items : undefined;
      if (!before || codes.length === 0) return undefined;
      const same = codes.join() === before.join();
      const ticket = await desk.openTicket(ctx);
      await desk.send(ctx, same ? say.newCodeSame(codeWord(order), codes.join('、'), ticket?.id) : say.newCodeUpdated(codeWord(order), codes.join('、')));
      if (!same) sess.disputed = undefined;
      return answered();
    }
  }
}

/** What a refund means for this order now: when it comes, how to get one, or why there is none. */
async function refund(desk: Desk, ctx: TurnContext, order: UnifiedOrder, d: Diagnosis): Promise<'answered' | 'contact'> {
  const t = turnData(ctx);
  const rc = desk.replyContext(t);
  if (d.cause === 'refunded' || d.refund?.state === 'processing') {
    await desk.send(ctx, explain(d, order, {}, rc));
    return 'answered';
  }
  if (order.status === 'awaiting_payment') {
    await desk.send(ctx, say.refundNotPaid());
    return 'answered';
  }
  if (order.status === 'expired' || order.status === 'canceled') {
    await desk.send(ctx, say.refundClosed());
    return 'answered';
  }
  if (d.cause === 'delivered' || d.cause === 'code_not_tracking') {
    await desk.send(ctx, say.refundDelivered(order));
    return 'answered';
  }
  // Paid and not (fully) delivered: a refund request for people, filed once, with an honest time.
  const open = await desk.cases.openTicket(conversationOf(ctx), order.orderNo);
  if (open) {
    record(ctx, { ticketId: open.id });
    const reply = t.u.signals.asksWhen ? say.refundWhen : say.refundPending;
    await desk.send(ctx, reply(open.id, new Date(open.dueAt), rc), BUTTONS.agent);
    return 'contact';
  }
  const ticket = await desk.fileTicket(ctx, ticketNote.refundRequest(t.u.text));
  const shipped = order.delivery?.kind === 'tracking_number';
  await desk.send(ctx, [say.refundFiled(ticket.id, new Date(ticket.dueAt), rc), shipped ? say.refundShipped() : ''].filter(Boolean).join('\n'), BUTTONS.agent);
  return 'contact';
}

/**
 * A buyer who waits for people asks how long, or where they are: their place in the queue, the
 * agent who has them, or their ticket's promised time. False when nobody has the case yet.
 */
export async function answerWait(desk: Desk, ctx: TurnContext): Promise<boolean> {
  const t = turnData(ctx);
  const sess = session(ctx);
  const rc = desk.replyContext(t);
  const h = await desk.s.handoffs.active(conversationOf(ctx));
  if (h?.state === 'queued') {
    const { ahead, waitMin } = await desk.cases.queueWait(h);
    await desk.send(ctx, say.queueWait(ahead, waitMin));
    record(ctx, { step: 'escalate' });
    record(ctx, { handoff: true });
    return true;
  }
  if (h?.state === 'assigned') return true; // the agent answers; the bot keeps quiet (HandoffGate)
  // The ticket of the order talked about now: another order's ticket says nothing about this one.
  const ticket = await desk.openTicket(ctx);
  if (ticket) {
    const hours = desk.s.config.policy.agentHours;
    await desk.send(ctx, say.ticketWait(ticket.id, new Date(ticket.dueAt), formatHours(hours), !isOpen(t.now, hours, desk.s.config.timeZone), rc));
    record(ctx, { ticketId: ticket.id });
    record(ctx, { step: sess.current?.step === 'escalate' ? 'escalate' : 'contact' });
    return true;
  }
  return false;
}

/** True when the buyer's case is with people already (a queued or taken handoff, an open ticket). */
export async function withPeople(desk: Desk, ctx: TurnContext): Promise<boolean> {
  if (await desk.s.handoffs.active(conversationOf(ctx))) return true;
  return !!(await desk.openTicket(ctx));
}

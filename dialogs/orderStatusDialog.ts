/**
 * Order status: asks only for what is missing (the order number, or the way to find it), accepts
 * it in any message, re-prompts at most twice, then offers a way out. The answer itself and the
 * next rung come from the desk.
 */
import { record } from '../src/bot/outcome.js';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { BUTTONS, say, slotLabels } from '../src/replies/index.js';
import type { Understanding } from '../src/understanding/index.js';
import { askOf, followUp } from '../src/bot/followUp.js';
import { DIALOG, FlowDialog } from './base.js';

interface State {
  attempts: number;
}

const MAX_REPROMPTS = 2;
const LEAVE_FOR: ReadonlyArray<Understanding['intent']> = ['faq', 'greeting', 'thanks', 'goodbye', 'complaint'];

export class OrderStatusDialog extends FlowDialog<State> {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.orderStatus, desk);
  }

  override async beginDialog(dc: DialogContext): Promise<DialogTurnResult> {
    this.state(dc).attempts = 0;
    return this.step(dc, true);
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const { u } = this.turn(dc);
    if (u.identifiers.length === 0 && LEAVE_FOR.includes(u.intent)) return this.reroute(dc);
    return this.step(dc, false);
  }

  private async step(dc: DialogContext, first: boolean): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const sess = this.session(dc);
    // Asked again with nothing new to ask ("还没到吗"): the status, unless it is unchanged and with people.
    const ask = askOf(t.u) ?? (t.u.identifiers.length === 0 && sess.current && t.u.signals.notResolved ? 'status' : undefined);
    // A question about the order we already looked up gets an answer to what was asked.
    if (!t.u.identifiers[0] && sess.current && ask && !t.u.signals.noOrderNo) {
      const rung = await followUp(this.desk, dc.context, ask);
      if (rung !== undefined) return this.toRung(dc, rung);
    }
    // A new number, or a new question about the order we already looked up.
    const id = t.u.identifiers[0] ?? (sess.current && !t.u.signals.noOrderNo ? { value: sess.current.orderNo, kind: 'order_no' as const, format: 'current' } : undefined);
    if (id) {
      const rung = await this.desk.answer(dc.context, id, { maskOrderNo: !t.u.identifiers[0] && sess.current?.masked });
      // "卡密提示已被使用 K8PL…": the order first, then the dispute about its code.
      if (ask === 'dispute' && rung !== 'rate_limited' && rung !== 'error') {
        const disputed = await followUp(this.desk, dc.context, 'dispute');
        if (disputed !== undefined) return this.toRung(dc, disputed);
      }
      return this.toRung(dc, rung);
    }
    // No number: find the order by time. A time given after we asked for the number (or with the
    // checkout contact, or by a logged-in buyer) starts that search at once.
    if (t.u.signals.noOrderNo || (t.u.paymentTime && (t.buyer || t.u.contact || !first))) return dc.replaceDialog(DIALOG.findOrder);

    const state = this.state(dc);
    if (!first) state.attempts++;
    record(dc.context, { step: 'collecting' });
    if (state.attempts > MAX_REPROMPTS) {
      await this.desk.send(dc.context, say.askOrderNoGiveUp(), BUTTONS.wayOut);
      return dc.endDialog();
    }
    const rc = this.desk.replyContext(t);
    const got: string[] = [];
    const pt = sess.slots.paymentTime;
    if (t.u.paymentTime && pt) got.push(slotLabels.paymentTime(new Date(pt.at), rc, { from: new Date(pt.from), to: new Date(pt.to) }));
    if (t.u.productType) got.push(slotLabels.productType(t.u.productType));
    const text = got.length ? say.gotInfoNeedOrderNo(got) : say.askOrderNo(state.attempts);
    const prefix = first && t.u.intent === 'payment_issue' ? `${say.paymentIssueIntro()}\n` : first && t.u.intent === 'refund' ? `${say.refundGeneral()}\n` : '';
    await this.desk.send(dc.context, prefix + text, state.attempts === 0 ? BUTTONS.noOrderNo : BUTTONS.noOrderNoOrAgent);
    return Dialog.EndOfTurn;
  }
}

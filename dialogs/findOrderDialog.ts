/**
 * Find an order without its number. A logged-in buyer: by payment time (and product type) among
 * their own orders. An anonymous buyer: the checkout contact first, and only then masked candidates.
 */
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { maskSecret } from '../src/orders/masking.js';
import { BUTTONS, say } from '../src/replies/index.js';
import { DAY, MINUTE } from '../src/time.js';
import { DIALOG, FlowDialog } from './base.js';

interface State {
  stage: 'contact' | 'time' | 'pick';
  attempts: number;
  candidates: string[];
  masked: boolean;
}

const MAX_REPROMPTS = 2;

export class FindOrderDialog extends FlowDialog<State> {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.findOrder, desk);
  }

  override async beginDialog(dc: DialogContext): Promise<DialogTurnResult> {
    Object.assign(this.state(dc), { attempts: 0, candidates: [], masked: !this.turn(dc).buyer });
    return this.next(dc);
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const state = this.state(dc);
    const sess = this.session(dc);
    const id = t.u.identifiers.find((i) => i.kind === 'order_no');
    if (id && state.stage !== 'pick') return dc.replaceDialog(DIALOG.orderStatus);
    if (state.stage === 'contact') {
      if (t.u.contact) {
        sess.contact = t.u.contact.value;
        state.attempts = 0;
        return this.next(dc);
      }
      this.session(dc).awaiting = 'contact';
      return this.reprompt(dc, say.askContactAgain());
    }
    if (state.stage === 'time') {
      if (sess.slots.paymentTime && t.u.paymentTime) {
        state.attempts = 0;
        return this.next(dc);
      }
      return this.reprompt(dc, say.askTimeAgain());
    }
    // pick
    const index = t.u.choice !== undefined ? t.u.choice - 1 : -1;
    const chosen = state.candidates[index] ?? (id ? state.candidates.find((c) => c === id.value) : undefined);
    if (!chosen) {
      if (id || t.u.intent !== 'provide_info') return id ? dc.replaceDialog(DIALOG.orderStatus) : this.reroute(dc);
      return this.reprompt(dc, say.pickCandidateAgain(state.candidates.length));
    }
    return this.answer(dc, chosen);
  }

  private async next(dc: DialogContext): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const sess = this.session(dc);
    const state = this.state(dc);
    t.outcome.step = 'collecting';
    if (!t.buyer && !sess.contact) {
      state.stage = 'contact';
      sess.awaiting = 'contact';
      await this.desk.send(dc.context, say.askContactForSearch());
      return Dialog.EndOfTurn;
    }
    if (!sess.slots.paymentTime && !sess.slots.productType) {
      state.stage = 'time';
      await this.desk.send(dc.context, say.askTimeForSearch());
      return Dialog.EndOfTurn;
    }
    return this.search(dc);
  }

  private async search(dc: DialogContext): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const sess = this.session(dc);
    const state = this.state(dc);
    const rc = this.desk.replyContext(t);
    if (!(await this.desk.allowLookup(dc.context))) return dc.endDialog();
    // With a payment time: its window ± 30 minutes; with only a product type: the last 30 days.
    const pt = sess.slots.paymentTime;
    const from = pt ? new Date(Date.parse(pt.from) - 30 * MINUTE) : new Date(t.now.getTime() - 30 * DAY);
    const to = pt ? new Date(Date.parse(pt.to) + 30 * MINUTE) : t.now;
    const who = { userId: t.buyer?.id, contact: t.buyer ? undefined : sess.contact, email: !t.buyer && sess.contact?.includes('@') ? sess.contact : undefined };
    let found = await this.desk.s.orders.findCandidates({ ...who, paidFrom: from, paidTo: to, productType: sess.slots.productType, limit: 5 });
    if (found.length === 0 && sess.slots.productType && pt) found = await this.desk.s.orders.findCandidates({ ...who, paidFrom: from, paidTo: to, limit: 5 });
    if (found.length === 0) {
      await this.desk.send(dc.context, say.noCandidates(say.searchWindow(from, to, rc)), BUTTONS.ticketOrAgent);
      t.outcome.lookup = { found: false };
      t.outcome.cause = 'order_not_found';
      t.outcome.step = 'self_check';
      return dc.endDialog();
    }
    if (found.length === 1) return this.answer(dc, found[0]!.orderNo);
    state.stage = 'pick';
    state.attempts = 0;
    state.candidates = found.map((o) => o.orderNo);
    const shown = state.masked ? found.map((o) => ({ ...o, orderNo: maskSecret(o.orderNo) })) : found;
    await this.desk.send(dc.context, say.candidates(shown, rc), shown.map((_, i) => String(i + 1)));
    return Dialog.EndOfTurn;
  }

  private async answer(dc: DialogContext, orderNo: string): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const rung = await this.desk.answer(dc.context, { value: orderNo, kind: 'order_no', format: 'candidate' }, { maskOrderNo: state.masked });
    return this.toRung(dc, rung, orderNo);
  }

  private async reprompt(dc: DialogContext, text: string): Promise<DialogTurnResult> {
    const state = this.state(dc);
    this.turn(dc).outcome.step = 'collecting';
    if (++state.attempts > MAX_REPROMPTS) {
      await this.desk.send(dc.context, say.searchGiveUp(), BUTTONS.ticketOrAgent);
      return dc.endDialog();
    }
    await this.desk.send(dc.context, text);
    return Dialog.EndOfTurn;
  }
}

/**
 * Find an order without its number. A logged-in buyer: by payment time (and product type) among
 * their own orders. An anonymous buyer: the checkout contact first, and only then masked candidates.
 */
import { record } from '../src/bot/outcome.js';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { maskNumbers } from '../src/orders/masking.js';
import type { UnifiedOrder } from '../src/orders/model.js';
import { brandsIn } from '../src/understanding/brands.js';
import { BUTTONS, say, slotLabels } from '../src/replies/index.js';
import { DAY, MINUTE } from '../src/time.js';
import { DIALOG, FlowDialog } from './base.js';

interface State {
  stage: 'contact' | 'time' | 'pick' | 'confirm';
  attempts: number;
  candidates: string[];
  masked: boolean;
}

const MAX_REPROMPTS = 2;

export class FindOrderDialog extends FlowDialog<State> {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.findOrder, desk);
  }

  override async beginDialog(dc: DialogContext, options?: { switchFrom?: string }): Promise<DialogTurnResult> {
    Object.assign(this.state(dc), { attempts: 0, candidates: [], masked: !this.turn(dc).buyer });
    if (options?.switchFrom !== undefined || this.turn(dc).u.signals.notThis) return this.switchOrder(dc, options?.switchFrom);
    return this.next(dc);
  }

  /**
   * "不是这个，是那个Q币的": another of the orders listed before. The one the buyer's words point to
   * (a brand, a product type), else the others again as a list, else a new search.
   */
  private async switchOrder(dc: DialogContext, from: string | undefined): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const sess = this.session(dc);
    const others = (sess.candidates ?? []).filter((c) => c.orderNo !== from);
    const words = t.u.brands;
    const pointed = words.length ? others.filter((c) => words.some((b) => brandsIn(c.title).includes(b))) : [];
    if (pointed.length === 1) return this.answer(dc, pointed[0]!.orderNo);
    if (others.length === 0) {
      await this.desk.send(dc.context, say.notThisOne(), BUTTONS.ticketOrAgent);
      record(dc.context, { step: 'collecting' });
      return dc.endDialog();
    }
    if (others.length === 1 && words.length === 0) return this.answer(dc, others[0]!.orderNo);
    const found = await this.desk.cases.ordersByNumber((pointed.length ? pointed : others).map((c) => c.orderNo));
    return this.list(dc, found);
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
      // A time instead of a contact ("大概是昨晚十点多吧，微信付的"): kept for the search, and the contact asked for again.
      const pt = sess.slots.paymentTime;
      if (t.u.paymentTime && pt)
        return this.reprompt(dc, say.gotTimeNeedContact(slotLabels.paymentTime(new Date(pt.at), this.desk.replyContext(t), { from: new Date(pt.from), to: new Date(pt.to) })));
      return this.reprompt(dc, say.askContactAgain());
    }
    if (state.stage === 'confirm') {
      // "是这笔吗？" — yes is this order; no (or "不是这个") is not: ask for another time.
      if (t.u.signals.yes) return this.answer(dc, state.candidates[0]!);
      if (t.u.signals.no || t.u.signals.notThis) {
        state.stage = 'time';
        sess.candidates = [];
        record(dc.context, { step: 'collecting' });
        await this.desk.send(dc.context, say.notThisOne(), BUTTONS.ticketOrAgent);
        return Dialog.EndOfTurn;
      }
      if (t.u.paymentTime) return this.next(dc);
      return this.reroute(dc);
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
    record(dc.context, { step: 'collecting' });
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
    const rc = this.desk.replyContext(t);
    if (!(await this.desk.allowLookup(dc.context))) return dc.endDialog();
    // With a payment time: its window ± 30 minutes; with only a product type: the last 30 days.
    const pt = sess.slots.paymentTime;
    const from = pt ? new Date(Date.parse(pt.from) - 30 * MINUTE) : new Date(t.now.getTime() - 30 * DAY);
    const to = pt ? new Date(Date.parse(pt.to) + 30 * MINUTE) : t.now;
    const who = { userId: t.buyer?.id, contact: t.buyer ? undefined : sess.contact, email: !t.buyer && sess.contact?.includes('@') ? sess.contact : undefined };
    // With a payment time, a product type the buyer got wrong does not hide the order; with only the type, it is all there is.
    const found = await this.desk.cases.findOrders({ ...who, from, to, productType: sess.slots.productType, strictType: !pt });
    if (found.length === 0) {
      await this.desk.send(dc.context, say.noCandidates(say.searchWindow(from, to, rc)), BUTTONS.ticketOrAgent);
      record(dc.context, { lookup: { found: false } });
      record(dc.context, { cause: 'order_not_found' });
      record(dc.context, { step: 'self_check' });
      return dc.endDialog();
    }
    if (found.length === 1) {
      // A guess is confirmed before it is treated as theirs when it is not what they named
      // (another brand, or another type than the one they said).
      const named = sess.slots.brands ?? [];
      const title = brandsIn(found[0]!.title);
      const otherBrand = named.length > 0 && !named.some((b) => title.includes(b));
      const otherType = !!sess.slots.productType && found[0]!.productType !== sess.slots.productType;
      if (otherBrand || otherType) return this.confirm(dc, found[0]!);
      sess.candidates = [{ orderNo: found[0]!.orderNo, title: found[0]!.title }];
      return this.answer(dc, found[0]!.orderNo);
    }
    return this.list(dc, found);
  }

  /** Shows the orders to pick from (numbers masked for an anonymous buyer) and remembers them. */
  private async list(dc: DialogContext, found: UnifiedOrder[]): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const state = this.state(dc);
    state.stage = 'pick';
    state.attempts = 0;
    state.candidates = found.map((o) => o.orderNo);
    this.session(dc).candidates = found.map((o) => ({ orderNo: o.orderNo, title: o.title }));
    record(dc.context, { step: 'collecting' });
    const shown = state.masked ? found.map((o) => maskNumbers(o)) : found;
    await this.desk.send(
      dc.context,
      say.candidates(shown, this.desk.replyContext(t)),
      shown.map((_, i) => String(i + 1)),
    );
    return Dialog.EndOfTurn;
  }

  private async confirm(dc: DialogContext, o: UnifiedOrder): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const state = this.state(dc);
    state.stage = 'confirm';
    state.candidates = [o.orderNo];
    record(dc.context, { step: 'collecting' });
    const shown = state.masked ? maskNumbers(o) : o;
    await this.desk.send(dc.context, say.confirmCandidate(shown, this.desk.replyContext(t)), ['是', '不是']);
    return Dialog.EndOfTurn;
  }

  private async answer(dc: DialogContext, orderNo: string): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const rung = await this.desk.answer(dc.context, { value: orderNo, kind: 'order_no', format: 'candidate' }, { maskOrderNo: state.masked });
    return this.toRung(dc, rung, orderNo);
  }

  private async reprompt(dc: DialogContext, text: string): Promise<DialogTurnResult> {
    const state = this.state(dc);
    record(dc.context, { step: 'collecting' });
    if (++state.attempts > MAX_REPROMPTS) {
      await this.desk.send(dc.context, say.searchGiveUp(), BUTTONS.ticketOrAgent);
      return dc.endDialog();
    }
    await this.desk.send(dc.context, text);
    return Dialog.EndOfTurn;
  }
}

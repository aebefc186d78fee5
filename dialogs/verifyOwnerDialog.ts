/**
 * Verify the owner before revealing codes or keys: a second factor (checkout contact or e-mail,
 * plus the query password when the order has one). Failures count per claimant and per order
 * (orders/guards.ts); a logged-in owner is never locked out.
 */
import type { OwnershipProof } from '../src/orders/port.js';
import { record } from '../src/bot/outcome.js';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { profile } from '../src/bot/desk.js';
import { maskDelivery } from '../src/orders/masking.js';
import { BUTTONS, say } from '../src/replies/index.js';
import { DIALOG, FlowDialog } from './base.js';

interface State {
  orderNo: string;
  prompts: number;
  /** The shop shows the order itself only for the proof (Dujiao-Next): proved, the order is answered. */
  lookup?: boolean;
  /** The order has a query password: a contact alone is not checked (it would only spend an attempt). */
  needsPassword?: boolean;
}

export class VerifyOwnerDialog extends FlowDialog<State> {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.verifyOwner, desk);
  }

  override async beginDialog(dc: DialogContext, options?: { orderNo?: string; lookup?: boolean }): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const orderNo = options?.orderNo ?? this.session(dc).current?.orderNo;
    if (!orderNo) return dc.replaceDialog(DIALOG.orderStatus);
    Object.assign(this.state(dc), { orderNo, prompts: 0, lookup: !!options?.lookup });
    if (options?.lookup) {
      // The desk has asked for the checkout email and order password.
      if (await this.locked(dc, orderNo)) return dc.endDialog();
      return t.u.contact && t.u.queryPassword ? this.continueDialog(dc) : Dialog.EndOfTurn;
    }
    const order = await this.desk.cases.withSecrets(orderNo);
    // Nothing secret was delivered: answer the order instead of asking for a proof that reveals nothing.
    if (!order) return dc.replaceDialog(DIALOG.orderStatus);
    this.state(dc).needsPassword = order.buyer.hasQueryPassword;
    // A logged-in owner needs nothing more, and no lock applies to them (strangers' failures cannot lock them out).
    if (t.buyer && (await this.desk.cases.ownerByLogin(orderNo, t.buyer.id))) return this.reveal(dc, { userId: t.buyer.id });
    if (await this.locked(dc, orderNo)) return dc.endDialog();
    // Someone who already proved it in this conversation needs nothing more either.
    const sess = this.session(dc);
    if (sess.shopProof?.orderNo === orderNo) return this.reveal(dc, sess.shopProof.proof);
    if (sess.verified.includes(orderNo) && sess.contact) return this.reveal(dc, { contact: sess.contact, email: sess.contact });
    // The contact came with the request ("手机13812345678 卡密在哪看啊"): checked now, as if answered (failures count the same).
    if (t.u.contact) return this.continueDialog(dc);
    sess.awaiting = 'contact';
    await this.desk.send(dc.context, say.askVerify(order), BUTTONS.cancel);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const state = this.state(dc);
    if (t.u.signals.no) {
      await this.desk.send(dc.context, say.verifyCanceled());
      return dc.endDialog();
    }
    if (await this.locked(dc, state.orderNo)) return dc.endDialog();
    const password = t.u.queryPassword;
    const contact = t.u.contact?.value;
    if (!contact) {
      if (t.u.identifiers.length > 0 || (t.u.intent !== 'provide_info' && t.u.intent !== 'unknown')) return this.reroute(dc);
      if (++state.prompts > 2) {
        await this.desk.send(dc.context, say.verifyCanceled());
        return dc.endDialog();
      }
      this.session(dc).awaiting = 'contact';
      await this.desk.send(dc.context, say.askContactAgain());
      return Dialog.EndOfTurn;
    }
    if ((state.lookup || state.needsPassword) && !password) {
      if (++state.prompts > 2) {
        await this.desk.send(dc.context, say.verifyCanceled());
        return dc.endDialog();
      }
      this.session(dc).awaiting = 'contact';
      await this.desk.send(dc.context, state.lookup ? say.askShopPassword() : say.verifyNeedPassword(), BUTTONS.cancel);
      return Dialog.EndOfTurn;
    }
    const proof = { contact, email: contact, queryPassword: password };
    let check: Awaited<ReturnType<typeof this.desk.cases.verifyOwner>>;
    try {
      check = await this.desk.cases.verifyOwner(state.orderNo, proof, t.claimants, t.now);
    } catch (err) {
      // The shop did not answer: nothing was checked, nothing counts against the buyer.
      await this.desk.shopDown(dc.context, state.orderNo, err);
      return dc.endDialog();
    }
    if (check.ok) {
      const sess = this.session(dc);
      sess.contact = contact;
      (await profile(dc.context)).verifiedContact = contact;
      if (!sess.verified.includes(state.orderNo)) sess.verified.push(state.orderNo);
      if (state.lookup) {
        // Kept for this conversation's notify-me re-reads (the shop shows the order only with it).
        sess.shopProof = { orderNo: state.orderNo, proof };
        const rung = await this.desk.answer(dc.context, { value: state.orderNo, kind: 'order_no', format: 'proved' });
        return this.toRung(dc, rung);
      }
      return this.reveal(dc, proof);
    }
    if (check.left === 0) {
      await this.locked(dc, state.orderNo);
      return dc.endDialog();
    }
    this.session(dc).awaiting = 'contact';
    await this.desk.send(dc.context, check.needsPassword ? say.verifyNeedPassword() : say.verifyFailed(check.left, !!(state.needsPassword || state.lookup)), BUTTONS.cancel);
    return Dialog.EndOfTurn;
  }

  private async locked(dc: DialogContext, orderNo: string): Promise<boolean> {
    const t = this.turn(dc);
    const until = await this.desk.cases.lockedUntil(orderNo, t.claimants, t.now);
    if (!until) return false;
    await this.desk.send(dc.context, say.verifyLocked(until, this.desk.replyContext(t)), BUTTONS.agent);
    return true;
  }

  private async reveal(dc: DialogContext, proof: OwnershipProof): Promise<DialogTurnResult> {
    let delivery: Awaited<ReturnType<typeof this.desk.cases.reveal>>;
    try {
      delivery = await this.desk.cases.reveal(this.state(dc).orderNo, proof);
    } catch (err) {
      await this.desk.shopDown(dc.context, this.state(dc).orderNo, err);
      return dc.endDialog();
    }
    record(dc.context, { step: 'answered' });
    if (delivery) await this.desk.send(dc.context, say.revealed(delivery), undefined, { record: say.revealed(maskDelivery(delivery)) });
    else await this.desk.send(dc.context, say.nothingToReveal());
    return dc.endDialog();
  }
}

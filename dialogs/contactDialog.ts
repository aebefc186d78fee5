/** Contact rung: a ticket with order number, payment time, product type and the symptom. */
import { record } from '../src/bot/outcome.js';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { BUTTONS, say, ticketNote } from '../src/replies/index.js';
import { DIALOG, FlowDialog } from './base.js';

interface State {
  stage: 'proof' | 'symptom';
}

export class ContactDialog extends FlowDialog<State> {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.contact, desk);
  }

  override async beginDialog(dc: DialogContext, options?: { needProof?: boolean }): Promise<DialogTurnResult> {
    const sess = this.session(dc);
    if (options?.needProof) {
      this.state(dc).stage = 'proof';
      record(dc.context, { step: 'contact' });
      await this.desk.send(dc.context, say.askPaymentProof(), BUTTONS.noProof);
      return Dialog.EndOfTurn;
    }
    if (!sess.current && !sess.slots.orderNo && !sess.symptom) {
      this.state(dc).stage = 'symptom';
      record(dc.context, { step: 'contact' });
      await this.desk.send(dc.context, say.askSymptom());
      return Dialog.EndOfTurn;
    }
    await this.desk.createTicket(dc.context);
    return dc.endDialog();
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const { u, files } = this.turn(dc);
    const sess = this.session(dc);
    // A screenshot answers either question; the desk puts the files on the ticket.
    if (files > 0 && (!u.text || (u.intent === 'unknown' && u.identifiers.length === 0))) {
      await this.desk.createTicket(dc.context);
      return dc.endDialog();
    }
    if (this.state(dc).stage === 'proof') {
      const txn = u.identifiers.find((i) => i.kind === 'wechat_pay_txn' || i.kind === 'alipay_txn' || i.kind === 'order_no');
      await this.desk.createTicket(dc.context, txn ? ticketNote.transaction(txn.value) : u.signals.no ? ticketNote.noTransaction() : ticketNote.buyerAdds(u.text));
      return dc.endDialog();
    }
    if (!u.text) {
      await this.desk.send(dc.context, say.askSymptom());
      return Dialog.EndOfTurn;
    }
    sess.symptom = u.text;
    await this.desk.createTicket(dc.context);
    return dc.endDialog();
  }
}

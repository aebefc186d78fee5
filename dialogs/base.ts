/** Shared plumbing for the thin dialogs: each reads the turn's understanding and asks the desk. */
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { type Desk, type NextRung, session } from '../src/bot/desk.js';
import { type Session, type TurnData, turnData } from '../src/bot/types.js';

export abstract class FlowDialog<S extends object = Record<string, unknown>> extends Dialog {
  constructor(
    id: string,
    protected readonly desk: Desk,
  ) {
    super(id);
  }

  protected turn(dc: DialogContext): TurnData {
    return turnData(dc.context);
  }

  protected session(dc: DialogContext): Session {
    return session(dc.context);
  }

  protected state(dc: DialogContext): S {
    return dc.activeDialog!.state as S;
  }

  /** After an answer: move to the rung the diagnosis asked for (replacing this dialog). */
  protected toRung(dc: DialogContext, rung: NextRung | 'rate_limited' | 'error', orderNo?: string): Promise<DialogTurnResult> {
    const sess = this.session(dc);
    switch (rung) {
      case 'self_check':
        return dc.replaceDialog(DIALOG.selfCheck);
      case 'contact':
        return dc.replaceDialog(DIALOG.contact, { needProof: sess.current?.cause === 'payment_unconfirmed' });
      case 'escalate':
        return dc.replaceDialog(DIALOG.escalate);
      case 'rights':
        return dc.replaceDialog(DIALOG.rights);
      case 'verify':
        return dc.replaceDialog(DIALOG.verifyOwner, { orderNo: orderNo ?? sess.current?.orderNo });
      case 'prove':
        return dc.replaceDialog(DIALOG.verifyOwner, { orderNo: orderNo ?? sess.slots.orderNo, lookup: true });
      default:
        return dc.endDialog();
    }
  }

  /** End this dialog and let the main dialog route the same message afresh. */
  protected reroute(dc: DialogContext): Promise<DialogTurnResult> {
    return dc.endDialog({ reroute: true });
  }
}

export const DIALOG = {
  orderStatus: 'orderStatus',
  findOrder: 'findOrder',
  verifyOwner: 'verifyOwner',
  selfCheck: 'selfCheck',
  contact: 'contact',
  escalate: 'escalate',
  rights: 'rights',
} as const;

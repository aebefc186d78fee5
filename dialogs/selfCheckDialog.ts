/** Self-check rung: the steps were shown with the diagnosis; wait to hear whether they helped. */
import { record } from '../src/bot/outcome.js';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { say } from '../src/replies/index.js';
import { DIALOG, FlowDialog } from './base.js';

export class SelfCheckDialog extends FlowDialog {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.selfCheck, desk);
  }

  override async beginDialog(): Promise<DialogTurnResult> {
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const { u } = this.turn(dc);
    if (u.signals.notResolved && u.identifiers.length === 0) return dc.replaceDialog(DIALOG.contact);
    if (u.signals.resolved) {
      await this.desk.send(dc.context, say.resolvedThanks());
      record(dc.context, { step: 'answered' });
      return dc.endDialog();
    }
    return this.reroute(dc);
  }
}

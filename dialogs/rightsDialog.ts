/** Rights rung: refund under the E-Commerce Law, payment-channel dispute, 12315, police. */
import { record } from '../src/bot/outcome.js';
import type { DialogContext, DialogTurnResult } from 'botbuilder-dialogs';
import { say } from '../src/replies/index.js';
import { DIALOG, FlowDialog } from './base.js';

export class RightsDialog extends FlowDialog {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.rights, desk);
  }

  override async beginDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const t = this.turn(dc);
    const sess = this.session(dc);
    record(dc.context, { step: 'rights' });
    sess.ladder.push({ step: 'rights', at: t.now.toISOString(), orderNo: sess.current?.orderNo });
    if (sess.current) sess.current.step = 'rights';
    await this.desk.send(dc.context, say.rights());
    return dc.endDialog();
  }
}

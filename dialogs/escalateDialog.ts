/** Escalate rung: a handoff request with the full context packet, and an honest word about waiting. */
import type { DialogContext, DialogTurnResult } from 'botbuilder-dialogs';
import { DIALOG, FlowDialog } from './base.js';

export class EscalateDialog extends FlowDialog {
  constructor(desk: ConstructorParameters<typeof FlowDialog>[1]) {
    super(DIALOG.escalate, desk);
  }

  override async beginDialog(dc: DialogContext, options?: { reason?: string }): Promise<DialogTurnResult> {
    await this.desk.requestHandoff(dc.context, options?.reason ?? this.session(dc).current?.cause ?? 'buyer_request');
    return dc.endDialog();
  }
}

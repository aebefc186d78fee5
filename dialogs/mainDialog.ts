/**
 * The root: interruptions first (转人工, 重新开始/取消, 帮助), then the active dialog, then routing
 * by intent. It decides what happens next; the work is done by the desk and the child dialogs.
 */
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { type DialogContext, type DialogState, DialogSet, DialogTurnStatus } from 'botbuilder-dialogs';
import type { Desk } from '../src/bot/desk.js';
import { session } from '../src/bot/desk.js';
import { newSession, turnData } from '../src/bot/types.js';
import { nextStep } from '../src/diagnosis/index.js';
import { BUTTONS, say } from '../src/replies/index.js';
import { DIALOG } from './base.js';
import { ContactDialog } from './contactDialog.js';
import { EscalateDialog } from './escalateDialog.js';
import { FindOrderDialog } from './findOrderDialog.js';
import { OrderStatusDialog } from './orderStatusDialog.js';
import { RightsDialog } from './rightsDialog.js';
import { SelfCheckDialog } from './selfCheckDialog.js';
import { VerifyOwnerDialog } from './verifyOwnerDialog.js';

/** botbuilder-dialogs keeps the memory-scope configuration in turn state under this key. */
const DSM_CONFIGURATION = 'DialogStateManagerConfiguration';

export class MainDialog {
  private readonly dialogs: DialogSet;
  /** Built by the first turn and reused: botbuilder would rebuild it (all memory scopes) every turn. */
  private dsmConfiguration: unknown;

  constructor(dialogState: StatePropertyAccessor<DialogState>, private readonly desk: Desk) {
    this.dialogs = new DialogSet(dialogState);
    for (const D of [OrderStatusDialog, FindOrderDialog, VerifyOwnerDialog, SelfCheckDialog, ContactDialog, EscalateDialog, RightsDialog]) {
      this.dialogs.add(new D(desk));
    }
  }

  async run(ctx: TurnContext): Promise<void> {
    if (this.dsmConfiguration) ctx.turnState.set(DSM_CONFIGURATION, this.dsmConfiguration);
    const dc = await this.dialogs.createContext(ctx);
    this.dsmConfiguration ??= ctx.turnState.get(DSM_CONFIGURATION);
    const { u } = turnData(ctx);

    // Interruptions work at any point of any dialog.
    if (u.signals.restart) {
      await dc.cancelAllDialogs();
      Object.assign(session(ctx), newSession());
      await this.desk.send(ctx, say.restarted(), BUTTONS.menu);
      return;
    }
    if (u.signals.help) {
      await this.desk.send(ctx, say.help(), BUTTONS.menu);
      return;
    }
    // "不用了" withdraws a queued handoff, unless a dialog is waiting for that answer itself.
    if (u.signals.cancelWait && !dc.activeDialog && (await this.desk.cancelHandoff(ctx))) return;
    if (u.intent === 'human_agent') {
      await dc.cancelAllDialogs();
      await dc.beginDialog(DIALOG.escalate, { reason: 'buyer_request' });
      return;
    }

    // Files (a screenshot) with nothing else to act on: the contact dialog takes them as proof;
    // otherwise they are kept with the case.
    const onlyFiles = turnData(ctx).files > 0 && (!u.text || (u.intent === 'unknown' && u.identifiers.length === 0));
    if (onlyFiles && dc.activeDialog?.id !== DIALOG.contact) {
      await this.desk.acknowledgeFiles(ctx);
      return;
    }
    if (dc.activeDialog) {
      const result = await dc.continueDialog();
      if (result.status !== DialogTurnStatus.complete || !(result.result as { reroute?: boolean } | undefined)?.reroute) return;
    }
    await this.route(dc);
  }

  private async route(dc: DialogContext): Promise<void> {
    const ctx = dc.context;
    const t = turnData(ctx);
    const { u } = t;
    const sess = session(ctx);

    if (u.signals.ticket) {
      await dc.beginDialog(DIALOG.contact);
      return;
    }
    if (u.intent === 'complaint') {
      await this.desk.send(ctx, say.complaint());
      await dc.beginDialog(DIALOG.escalate, { reason: 'complaint' });
      return;
    }
    // "Still not solved" climbs the ladder for the order we talked about.
    if (u.signals.notResolved && !u.signals.question && u.identifiers.length === 0 && sess.current) {
      const step = nextStep(sess.current.step === 'answered' ? 'self_check' : sess.current.step);
      sess.current.step = step;
      const id = step === 'contact' ? DIALOG.contact : step === 'escalate' ? DIALOG.escalate : DIALOG.rights;
      await dc.beginDialog(id);
      return;
    }
    if (u.signals.rights && u.identifiers.length === 0 && u.intent !== 'faq') {
      await dc.beginDialog(DIALOG.rights);
      return;
    }
    switch (u.intent) {
      case 'card_code':
        // "查看卡密" about the order we just answered goes straight to the ownership check.
        if (sess.current && u.identifiers.length === 0 && u.signals.wantsReveal) {
          await dc.beginDialog(DIALOG.verifyOwner, { orderNo: sess.current.orderNo });
          return;
        }
        await dc.beginDialog(DIALOG.orderStatus);
        return;
      case 'order_status':
      case 'payment_issue':
      case 'refund':
      case 'provide_info':
        await dc.beginDialog(DIALOG.orderStatus);
        return;
      case 'greeting':
        await this.desk.send(ctx, say.greeting(), BUTTONS.menu);
        return;
      case 'thanks':
        await this.desk.send(ctx, say.thanks());
        return;
      case 'goodbye':
        await this.desk.send(ctx, say.goodbye());
        return;
      case 'faq':
      case 'unknown':
      default: {
        if (u.signals.noOrderNo) {
          await dc.beginDialog(DIALOG.findOrder);
          return;
        }
        const hit = u.text ? this.desk.s.knowledge.search(u.text, 1)[0] : undefined;
        if (hit) {
          await this.desk.send(ctx, say.faqAnswer(hit.article.title, hit.article.body));
          t.outcome.step = 'answered';
          return;
        }
        if (u.intent === 'faq') {
          await this.desk.send(ctx, say.faqNone(), BUTTONS.menu);
          t.outcome.step = 'self_check';
          return;
        }
        await this.desk.send(ctx, u.text ? say.unknown() : say.empty(), BUTTONS.menu);
      }
    }
  }
}

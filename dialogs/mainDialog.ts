/**
 * The root: interruptions first (转人工, 重新开始/取消, 帮助), then the active dialog, then routing
 * by intent. It decides what happens next; the work is done by the desk and the child dialogs.
 */
import { record } from '../src/bot/outcome.js';
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { type DialogContext, type DialogState, DialogSet, DialogTurnStatus } from 'botbuilder-dialogs';
import type { Desk } from '../src/bot/desk.js';
import { session } from '../src/bot/desk.js';
import { newSession, turnData } from '../src/bot/types.js';
import { nextStep } from '../src/diagnosis/index.js';
import { BUTTONS, say } from '../src/replies/index.js';
import { answerWait, askOf, withPeople } from '../src/bot/followUp.js';
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

  constructor(
    dialogState: StatePropertyAccessor<DialogState>,
    private readonly desk: Desk,
  ) {
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
    // "到了告诉我" / "不用通知了", whatever is going on.
    if (u.signals.notifyStop) {
      await this.desk.stopNotify(ctx);
      return;
    }
    if (u.signals.notifyMe && u.intent !== 'human_agent') {
      await dc.cancelAllDialogs();
      await this.desk.startNotify(ctx, u.identifiers[0]);
      return;
    }
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
    // Someone already has the case: "还要等多久", "人呢" get the queue or the ticket, never a new offer.
    const ask = askOf(u);
    const waitQuestion = (ask === 'when' && (!sess.current || (await withPeople(this.desk, ctx)))) || (u.signals.wherePerson && (ask === undefined || ask === 'when'));
    if (waitQuestion && u.identifiers.length === 0 && (await answerWait(this.desk, ctx))) return;
    if (u.signals.wherePerson && u.identifiers.length === 0) {
      await dc.beginDialog(DIALOG.escalate, { reason: 'buyer_request' });
      return;
    }
    // Venting: an order named in it is looked up and answered first; then people, as a complaint.
    if (u.intent === 'complaint' || (u.signals.venting && u.intent !== 'refund')) {
      await this.desk.send(ctx, say.complaint());
      const id = u.identifiers[0] ?? (sess.current ? { value: sess.current.orderNo, kind: 'order_no' as const, format: 'current' } : undefined);
      if (id) {
        const rung = await this.desk.answer(ctx, id, { maskOrderNo: !u.identifiers[0] && sess.current?.masked });
        if (rung === 'rate_limited' || rung === 'error') return;
      }
      await dc.beginDialog(DIALOG.escalate, { reason: 'complaint' });
      return;
    }
    // "不是这个，是那个Q币的": another of the orders the bot listed.
    if (u.signals.notThis && sess.candidates?.length && u.identifiers.length === 0) {
      await dc.beginDialog(DIALOG.findOrder, { switchFrom: sess.current?.orderNo });
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
    // A question about the order we are talking about ("还要等多久", "为什么要审核"), however phrased.
    if (sess.current && u.identifiers.length === 0 && ask && (u.intent === 'faq' || u.intent === 'unknown')) {
      await dc.beginDialog(DIALOG.orderStatus);
      return;
    }
    switch (u.intent) {
      case 'card_code':
        // "查看卡密" about the order we just answered goes straight to the ownership check.
        if (sess.current && u.identifiers.length === 0 && u.signals.wantsReveal && !u.signals.codeUsed && !u.signals.newCode) {
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
        const hits = this.desk.cases.searchKnowledge(u.text);
        if (hits.length > 0) {
          await this.desk.answerFaq(ctx, u.text, hits);
          record(dc.context, { step: 'answered' });
          return;
        }
        if (u.intent === 'faq') {
          await this.desk.send(ctx, say.faqNone(), BUTTONS.menu);
          record(dc.context, { step: 'self_check' });
          return;
        }
        if (u.text && (await withPeople(this.desk, ctx))) await this.desk.send(ctx, say.unknownWhileWaiting());
        else await this.desk.send(ctx, u.text ? say.unknown() : say.empty(), BUTTONS.menu);
      }
    }
  }
}

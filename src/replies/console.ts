/**
 * Sentences of the agent console: quick replies an agent sends to a buyer (per diagnosis cause,
 * always 你, never a time the order does not support), what the bot tells a buyer whose case an
 * agent passed to the shop, and the lines agents read in the console (notes, flags).
 */
import type { Cause } from '../diagnosis/index.js';
import type { ReplyContext } from './index.js';
import { when } from './format.js';

/** What a quick reply may say about the order: the expected time only when the diagnosis has one. */
export interface QuickFacts {
  /** "今天15:30": the honest expected time from the diagnosis (absent: no time is promised). */
  eta?: string;
  /** What the order delivers (or delivered): a code, a key, a top-up, a parcel. */
  delivery?: 'card_codes' | 'license_key' | 'topup_receipt' | 'tracking_number';
  /** Whether the conversation names an order (no: the greeting asks for it instead of "checking this order"). */
  hasOrder?: boolean;
}

const OPENER = '你好，我是人工客服，正在帮你查看这笔订单，请稍等。';
const OPENER_NO_ORDER = '你好，我是人工客服。麻烦发一下订单号；找不到的话，说一下大概几点付的款、买的什么，我帮你查。';
const CLOSER = '还有别的问题吗？没有的话我先结束这次服务，之后有问题随时找我。';
const ASK_PROOF = '麻烦发一下付款记录里的交易单号（或付款截图），我帮你核对。';

/** What an agent would say for each cause, in the order they usually need it. */
function byCause(cause: Cause | undefined, f: QuickFacts): string[] {
  const what = f.delivery === 'license_key' ? '激活码' : '卡密';
  switch (cause) {
    case 'out_of_stock':
      return ['这件商品暂时缺货，所以还没有发货。我先帮你问补货时间；不想等的话也可以直接给你退款，你看哪种方便？', '好的，给你办理退款，原路退回，到账快慢以支付渠道为准。'];
    case 'risk_hold':
      return ['这笔订单被系统风控暂时拦下了，需要人工核实一下：请发一下下单时留的手机号或邮箱。', '核实好了，我这边提交解除风控，处理好了会在这里告诉你。'];
    case 'manual_review':
      return [f.eta ? `这笔订单在人工审核中，按现在的审核进度，预计${f.eta}前有结果，审核通过就会发货。` : '这笔订单在人工审核中，审核通过就会发货，我帮你催一下审核。'];
    case 'sync_delay':
      return [
        f.eta
          ? `付款已经收到，订单还在正常的处理时间里，预计${f.eta}前能到；到时还没有的话跟我说，我马上帮你查。`
          : '付款已经收到，订单还在正常的处理时间里，请再稍等一下；我在这边帮你盯着。',
      ];
    case 'upstream_pending':
      return [f.eta ? `供货方还在处理这笔订单，一般${f.eta}前能完成，我帮你盯着。` : '供货方还在处理这笔订单，我帮你催一下供货方，有结果在这里告诉你。'];
    case 'upstream_failed':
      return ['供货方那边这笔没有处理成功，可以帮你重新提交一次，或者直接退款，你选哪种？', '好的，给你办理退款，原路退回，到账快慢以支付渠道为准。'];
    case 'logistics_problem':
      return ['快递这边的信息有异常，我在帮你联系快递核实，有结果会在这里告诉你。'];
    case 'logistics_pending':
      return [f.eta ? `包裹已经发出，快递一般${f.eta}前会有揽收信息，物流更新会晚一点。` : '包裹已经发出，快递的物流信息有时更新得晚一点，我帮你留意着。'];
    case 'payment_unconfirmed':
    case 'not_paid':
      return [`系统这边还没查到这笔付款。${ASK_PROOF}`];
    case 'expired_or_canceled':
      return ['这笔订单已经过期或取消了。钱没有扣的话重新下单就行；如果已经扣款了，' + ASK_PROOF];
    case 'refunded':
      return ['这笔订单已经退款了，原路退回；到账快慢以支付渠道为准，微信、支付宝一般较快，银行卡会慢一些。'];
    case 'delivered':
      if (f.delivery === 'topup_receipt') return ['订单显示已经充值成功了。如果你那边还没看到到账，麻烦截个图发我，我帮你找供货方核对。'];
      if (f.delivery === 'tracking_number') return ['订单显示包裹已经送达了。如果你没收到，麻烦说一下情况，我帮你联系快递核实。'];
      return [`${what}已经发到订单里了，在订单页面可以查看。`, `如果${what}提示无效或已被使用，麻烦截个图发我，我帮你查使用记录。`];
    case 'code_not_tracking':
      return [`这件商品发的是${what}，不走快递，所以没有快递单号；${what}在订单页面就能看到。`];
    case 'overdue':
      return ['这笔订单确实超过正常时间了，抱歉让你久等。我现在帮你加急处理，有结果马上在这里告诉你。'];
    case 'order_not_found':
      return ['这个订单号没查到，麻烦再核对一下；也可以告诉我付款时间和买的商品，我帮你找。'];
    case 'wrong_identifier':
      return ['你发的是付款交易单号（或快递单号），不是订单号；我按这个号码帮你找一下对应的订单。'];
    default:
      return ['麻烦说一下具体遇到了什么问题，我帮你看。', ASK_PROOF];
  }
}

/** Quick replies for a conversation about `cause`: a greeting, what fits the cause, a closing line. */
export function quickReplies(cause: Cause | undefined, facts: QuickFacts = {}): string[] {
  return [facts.hasOrder === false ? OPENER_NO_ORDER : OPENER, ...byCause(cause, facts), CLOSER];
}

/** The quick replies offered before a conversation is opened (no cause known). */
export const GENERIC_QUICK_REPLIES = quickReplies(undefined);

export const consoleSay = {
  /** The agent passed the case to the shop: who handles it, and how the buyer hears (the ticket). */
  shopWillHandle: (ticketId: string, due: Date, ctx: ReplyContext) =>
    `你的问题需要店铺那边处理，客服已经转给店铺了，工单号 ${ticketId}。店铺会在 ${when(due, ctx.now, ctx.tz)} 前回复你，回复会发到这里。`,
  /** The agent re-issued a code during the conversation (recorded on the order): where the buyer finds it. */
  reissued: (orderNo: string) => `客服已经给订单 ${orderNo} 补发了新卡密。想看完整卡密，回复“卡密在哪看”，核对身份后我发给你。`,
};

/** Lines agents read in the console and on tickets. */
export const consoleLines = {
  shopTicket: (agent: string, symptom?: string) => `客服 ${agent} 把会话转给店铺处理${symptom ? `：${symptom}` : ''}`,
  escalatedToShop: (ticketId: string) => `已转店铺处理，工单 ${ticketId}`,
  orderAction: (agent: string, orderNo: string, what: string) => `${agent} 对订单 ${orderNo} 操作：${what}`,
  ticketClaimed: (agent: string) => `${agent} 认领了工单`,
  timedOut: () => '排队超时，已转工单',
  canceledByBuyer: () => '买家取消了排队',
  /** A variable of a canned response that the conversation cannot fill. */
  variableUnknown: () => '没有这个变量',
  variableEmpty: (name: string) => `这个会话没有${name}`,
  etaNone: () => '这笔订单没有可靠的预计时间，别替店铺承诺时间',
};

/** Why the console refused an action on an order, for the agent who tried it. */
export const actionRefused = {
  reissue: () => '补发：每行一个新卡密（4–500 字，最多 50 个），补发原因 2–200 字',
  refund: () => '退款：金额写成 12 或 12.50（不填为全额），退款去向 1–40 字',
  note: () => '留言：2–300 字，机器人之后会转告买家',
  kind: () => '只能补发卡密、记录退款或给买家留言',
  refundTooMuch: (amount: string) => `退款金额不能超过订单金额 ¥${amount}`,
  whichCodes: (n: number) => `这笔订单有 ${n} 张卡密：勾选新卡密换掉的是哪几张（新卡密一行一个，数量和勾选的一样）`,
  badPositions: (n: number) => `这笔订单只有 ${n} 张卡密：勾选的位置不对`,
  noCodes: () => '这笔订单不是发卡密的（充值或实物），不能补发卡密',
  noOrder: () => '查不到这个订单',
  shopDown: () => '店铺系统暂时没有响应，过几分钟再试',
};

/**
 * Every sentence the buyer reads (zh-CN). Logic elsewhere picks which; wording lives here only.
 */
import type { Cause, Diagnosis } from '../diagnosis/index.js';
import { maskContact } from '../orders/masking.js';
import type { Delivery, ProductType, UnifiedOrder } from '../orders/model.js';
import { formatHours, isOpen } from '../calendar.js';
import { localFields } from '../time.js';
import { day, duration, money, when } from './format.js';
import { CAUSE_LABEL, HOLD_LABEL, PRODUCT_LABEL, REASON_LABEL, statusLabel } from './labels.js';
export { timeline } from './timeline.js';
export { CAUSE_LABEL, OUTCOME_LABEL, PRODUCT_LABEL, REASON_LABEL, STATUS_LABEL, STEP_LABEL } from './labels.js';

export interface ReplyContext {
  now: Date;
  tz: string;
  shopName: string;
}

/** Buttons the channel may render (suggested actions); the text still works without them. */
export const BUTTONS = {
  menu: ['查订单', '没有订单号', '卡密在哪看', '转人工'],
  afterSelfCheck: ['已经好了', '还是没到', '转人工'],
  noOrderNo: ['没有订单号'],
  noOrderNoOrAgent: ['没有订单号', '转人工'],
  wayOut: ['没有订单号', '提交工单', '转人工'],
  ticketOrAgent: ['提交工单', '转人工'],
  agent: ['转人工'],
  noProof: ['没有'],
  cancel: ['不用了'],
  notify: '到了告诉我',
  rating: ['5', '4', '3', '2', '1'],
};

/** The bot's display name on channels that show one. */
export const BOT_NAME = '订单助手';

/** Lines for tickets (read by agents, in the buyer's words where we have them). */
/** A bot message as WeChat text: there are no buttons, so the choices become a line to reply with. */
export function wechatText(text: string, choices: string[]): string {
  const t = text.trim();
  return choices.length ? `${t}\n\n可以回复：${choices.join(' / ')}` : t;
}

/** Lines the agent console shows (agents read Chinese too). */
export const consoleText = {
  buyerMessage: (text: string, files: number) => (files ? `${text}${text ? ' ' : ''}[发来 ${files} 个附件]` : text),
  claimed: (agent: string) => `${agent} 接入了会话`,
  transferred: (from: string, to: string) => `${from} 把会话转给了 ${to}`,
  resolved: (agent: string, outcome: string) => `${agent} 结束了会话（${outcome}）`,
  canceled: () => '买家取消了排队',
  rated: (n: number, comment?: string) => `买家评分：${n} 分${comment ? `（${comment}）` : ''}`,
};

export const ticketNote = {
  transaction: (no: string) => `付款交易单号 ${no}`,
  noTransaction: () => '买家暂无交易单号',
  buyerAdds: (text: string) => `买家补充：${text}`,
  join: (parts: string[]) => parts.join('；'),
  none: () => '（买家未描述）',
  files: (n: number) => `买家发来附件 ${n} 个（截图等）`,
  queueTimedOut: (minutes: number) => `买家排队等人工 ${minutes} 分钟没有客服接入，自动转为工单`,
  wantedAgent: (reason: string) => `买家要求人工处理（${REASON_LABEL[reason] ?? CAUSE_LABEL[reason as Cause] ?? reason}），当时没有客服在线`,
  refundRequest: (text: string) => `买家申请退款：${text}`,
  codeDispute: (codes: string, text: string) => `买家反映已发放的卡密不能用（${codes}）：${text}`,
  lowRating: (n: number, text: string) => `人工服务后买家评 ${n} 分，说：${text}`,
  shopUnavailable: (given: string) => `查询订单时店铺系统没有响应，机器人没查到状态，请人工核实（买家给的号码：${given}）`,
  undelivered: (code: string, why: string, text: string) => `机器人的回复没能送达买家（${code}：${why}），请人工跟进。未送达的内容：${text.slice(0, 300)}`,
};

/** Pads to a display width (CJK characters take two columns in a terminal). */
function padCjk(text: string, width: number): string {
  const w = [...text].reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1), 0);
  return text + ' '.repeat(Math.max(1, width - w));
}

export const terminal = {
  /** The demo orders as a table a newcomer can read: what each number shows, and what to type. */
  examples: (byCause: Partial<Record<Cause, string>>) => {
    const rows = (Object.entries(byCause) as Array<[Cause, string]>).map(([cause, orderNo]) => ({ causeLabel: CAUSE_LABEL[cause], orderNo }));
    return rows.length
      ? [
          '演示订单：把订单号发给订单助手，看它怎么解释',
          `  ${padCjk('情况', 26)}订单号`,
          ...rows.map((r) => `  ${padCjk(r.causeLabel, 26)}${r.orderNo}`),
          '  也可以试试：付款了怎么查不到单号 / 没有订单号 / 转人工 / 查看卡密（核对手机号，有查询密码的加“密码8888”）',
        ].join('\n')
      : '';
  },
  usage: () => '（输入 /quit 退出；启动时加 -- --trace 可看每轮的 turnOutcome，此时机器人在本进程里运行）',
  connected: (url: string) => `（已连接正在运行的订单助手 ${url}：和网页聊天一样，在线客服可以在客服工作台接入）`,
  inProcess: (url: string) => `（${url} 上没有在运行的订单助手，机器人在本进程里运行：这里转人工只会提交工单，客服工作台接不到这个终端）`,
  noSecretForBuyer: () => '（设置了 CHAT_BUYER_ID，但没有 DIRECTLINE_SECRET，无法以登录买家身份连接，按匿名买家继续）',
  you: () => '你：',
  bot: (text: string) => `机器人：${text}`,
};

export const say = {
  welcome: (shop: string) =>
    `你好，这里是${shop}的订单助手。付款后查不到订单号、卡密没收到、话费没到账、快递没消息，都可以问我。\n发我订单号最快；没有订单号的话，告诉我大概的付款时间和买的什么，我帮你找。随时说“转人工”可以找客服。`,
  help: () =>
    '我可以帮你：\n1. 查订单进度，说明为什么还没到、大概什么时候到\n2. 找回订单号（按付款时间和商品找）\n3. 核实身份后查看完整卡密/激活码\n4. 提交工单、转人工客服\n直接发订单号就行；想重新开始说“重新开始”。',
  restarted: () => '好的，已经重新开始。有什么订单问题，直接发订单号给我就行。',
  greeting: () => '你好！有什么订单问题吗？发我订单号，我马上帮你查。',
  thanks: () => '不客气！还有别的问题随时找我。',
  goodbye: () => '好的，祝你购物愉快，有问题随时回来找我。',
  turnFailed: () => '抱歉，我这边出了点问题，请再发一次，或者回复“转人工”。',
  empty: () => '没看到内容哦。有订单问题的话，直接发订单号给我就行。',
  // Files (screenshots) the buyer sends. The bot cannot read images: it says so and keeps them for people.
  filesKept: () => '图片收到了，我先替你存着，之后提交工单或转人工时会一起交给客服。不过我看不懂图片里的字，麻烦把订单号（或付款记录里的交易单号）直接打字发我。',
  filesAddedToTicket: (id: string) => `图片收到了，已附到工单 ${id} 里，客服处理时能看到。`,
  voiceUnrecognized: () => '这条语音我没听清，麻烦打字发我，订单号直接复制过来最准。',
  filesForAgent: () => '图片收到了，客服接入后能看到。',
  fileRejected: (maxBytes: number, maxFiles: number) =>
    `有文件没收到：只能发图片（PNG、JPG、GIF、WebP）或 PDF，每个不超过 ${Number((maxBytes / 1048576).toFixed(1))} MB，一次最多 ${maxFiles} 个。`,
  tooLong: (max: number) => `消息有点长，我只看了前 ${max} 个字。订单号、付款时间这些关键信息，单独发我会更准确。`,
  unknown: () => '抱歉，这句我没太明白。我主要帮你查订单：发我订单号，或者说说付款时间和买了什么。也可以说“转人工”。',
  /** Not understood while the buyer already waits for a person: no second offer of one. */
  unknownWhileWaiting: () => '抱歉，这句我没太明白。你的问题已经交给客服了；有补充的话直接发我，我会一起转给客服。',
  unknownMenu: () => '你可以试试这样说：“查订单 + 订单号”、“没有订单号”、“卡密在哪里看”、“转人工”。',

  askOrderNo: (attempt: number) =>
    attempt === 0
      ? '请发一下订单号（在订单中心、付款成功页或下单邮件/短信里）。找不到订单号也没关系，告诉我大概几点付的款、买的什么，我帮你找。'
      : '还没拿到订单号哦。订单号一般是一串字母和数字，比如 16 位的字母数字组合或 18 位数字。没有的话回复“没有订单号”。',
  askOrderNoGiveUp: () => '好像一直对不上订单号。可以这样：\n1. 回复“没有订单号”，按付款时间帮你找\n2. 回复“提交工单”，把情况留给客服\n3. 回复“转人工”直接找客服',
  gotInfoNeedOrderNo: (parts: string[]) => `好的，记下了：${parts.join('，')}。再发我订单号就能查了；没有订单号回复“没有订单号”。`,

  // Finding an order without its number.
  askContactForSearch: () => '为了保护你的订单信息，先核对一下身份：请发下单时填写的手机号、邮箱或QQ。',
  askContactAgain: () => '没认出联系方式。请发下单时填的手机号（11位）、邮箱，或“QQ+号码”。',
  gotTimeNeedContact: (time: string) => `好的，记下了：${time}。为了保护你的订单信息，找订单前先核对一下身份：请发下单时填写的手机号、邮箱或QQ。`,
  askTimeForSearch: () => '大概什么时候付的款？比如“昨晚八点左右”“今天下午3点”“十分钟前”。买的是什么（点卡、话费、激活码、实体卡）也可以一起说。',
  askTimeAgain: () => '没听懂时间。可以说“今天下午3点”“昨天晚上9点半”“1小时前”这样的。',
  searchGiveUp: () => '时间一直没对上，我先帮你把情况交给客服吧：回复“提交工单”或“转人工”。',
  candidates: (orders: UnifiedOrder[], ctx: ReplyContext) =>
    `找到 ${orders.length} 笔可能的订单：\n${orders
      .map((o, i) => `${i + 1}. ${o.orderNo}｜${o.title}｜${money(o.amount, o.currency)}｜${paidWhen(o, ctx)}｜${statusLabel(o)}`)
      .join('\n')}\n回复序号，我帮你查详细情况。`,
  pickCandidateAgain: (n: number) => `回复 1 到 ${n} 之间的序号就行，或者直接发订单号。`,
  noCandidates: (window: string) =>
    `在${window}附近没找到用这个身份下的订单。可能是用别的手机号/邮箱下的单，或者付款时间记得有偏差。你可以换个联系方式再试，或回复“提交工单”让客服帮你查。`,
  searchWindow: (from: Date, to: Date, ctx: ReplyContext) => `${when(from, ctx.now, ctx.tz)} 到 ${when(to, ctx.now, ctx.tz)}`,

  rateLimited: (minutes: number) => `查询有点频繁了，为了保护订单安全，请 ${minutes} 分钟后再试。着急的话可以回复“转人工”。`,
  lookupFailed: () => '订单系统暂时没有响应，我这边查不了。稍等几分钟再发一次订单号，或者回复“转人工”。',
  /** An agent's note on the order, repeated as written. */
  operatorNote: (text: string) => `客服留言：${text}`,
  // A shop that shows an order only to its owner (Dujiao-Next's guest lookup).
  askShopProof: () => '这家店查订单需要先核对身份：请把下单时填写的邮箱和订单密码一起发我，例如“abc@qq.com 密码1234”。',
  askShopPassword: () => '还需要下单时设置的订单密码，请和邮箱一起发我，例如“abc@qq.com 密码1234”。',
  // "到了告诉我": the bot tells the buyer when a waiting order moves.
  notifyOffer: () => '想等有进展时我主动告诉你的话，回复“到了告诉我”，订单一有变化我就在这里说。',
  notifyStarted: (orderNo: string, until: Date, ctx: ReplyContext) =>
    `好的，订单 ${orderNo} 一有变化我就在这里告诉你（最长跟踪到 ${when(until, ctx.now, ctx.tz)}）。不想收了就回复“不用通知了”。`,
  notifyAlready: (orderNo: string) => `订单 ${orderNo} 我已经在跟踪了，有变化会马上告诉你。不想收了回复“不用通知了”。`,
  notifyFinal: (orderNo: string) => `订单 ${orderNo} 已经是最终状态，不会再变化了，所以不需要跟踪。还有问题可以直接问我或回复“转人工”。`,
  notifyNeedOrder: () => '要跟踪哪笔订单？先把订单号发我，我查到后就可以帮你盯着。',
  notifyUnreachable: () => '这个渠道我没法主动给你发消息，有变化也通知不到你。过一段时间再发一次订单号，我帮你查最新状态。',
  notifyStopped: (n: number) => (n > 0 ? '好的，不再通知你了。需要时发订单号我随时帮你查。' : '现在没有在帮你跟踪的订单。'),
  notifyUpdate: (body: string, final: boolean) => `你的订单有新进展：\n${body}${final ? '' : '\n\n之后再有变化我还会告诉你。不想收了回复“不用通知了”。'}`,
  notifyExpired: (orderNo: string, hours: number) => `订单 ${orderNo} 我跟踪了 ${hours} 小时还没有新进展，先停止自动通知。需要时发订单号我再帮你查，或者回复“转人工”。`,
  /** The shop's system did not answer: no status is made up, a ticket keeps the case. */
  shopUnavailable: (ticketId: string, due: Date, ctx: ReplyContext) =>
    `系统查询暂时不可用，我现在查不到这笔订单的状态（不是订单有问题）。已经帮你提交工单 ${ticketId}，客服会在 ${when(due, ctx.now, ctx.tz)} 前核实后回复你。过几分钟再发一次订单号，我也可以再帮你查。`,

  orderHeader: (o: UnifiedOrder, _ctx: ReplyContext) =>
    `订单 ${o.orderNo}｜${o.title || PRODUCT_LABEL[o.productType]}${o.quantity > 1 && !/[×x*]\s*\d+\s*$/i.test(o.title) ? ` ×${o.quantity}` : ''}｜${money(o.amount, o.currency)}`,

  // Self-check steps for each cause, shown with the diagnosis when the step is self_check.
  selfCheckHint: () => '按上面的试过还是不行，回复“还是没到”，我帮你提交给客服。',

  // Verification.
  askVerify: (o: UnifiedOrder) =>
    `为了防止卡密被别人看到，查看完整内容前需要核对身份：请发下单时填写的${o.buyer.email ? '邮箱或' : ''}手机号/QQ。${o.buyer.hasQueryPassword ? '这笔订单设置了查询密码，请一起发上（例如：13812345678 密码1234）。' : ''}`,
  verifyLocked: (until: Date, ctx: ReplyContext) => `验证失败次数太多，已暂时锁定，请 ${when(until, ctx.now, ctx.tz)} 之后再试，或回复“转人工”。`,
  verifyFailed: (left: number, withPassword = false) =>
    `信息没对上。${left > 0 ? `还可以再试 ${left} 次。` : ''}请确认是下单时填写的手机号/邮箱${withPassword ? '和订单的查询密码' : ''}${left > 0 ? '' : '，或回复“转人工”'}。`,
  verifyNeedPassword: () => '这笔订单设置了查询密码，请把下单时的联系方式和查询密码一起发我，例如“13812345678 密码1234”。',
  verifyCanceled: () => '好的，不看完整内容了。需要时再说“查看卡密”就行。',
  revealed: (d: Delivery) => `身份核对通过。${revealLines(d)}\n请尽快使用，不要截图发给别人；客服也不会向你索要卡密。`,
  nothingToReveal: () => '身份核对通过，不过这笔订单还没有可以查看的卡密或激活码。',

  // Contact rung: tickets.
  askSymptom: () => '好的，我帮你提交工单。请用一句话说说具体哪里不对（比如“付款15分钟了订单还是待支付”“卡密提示已使用”）。',
  askPaymentProof: () => '请把付款记录里的“交易单号”发我（微信：我-服务-钱包-账单-点开这笔；支付宝：我的-账单-点开这笔），直接发付款截图也行。都没有的话回复“没有”，我照样提交。',
  ticketCreated: (id: string, due: Date, ctx: ReplyContext) =>
    `已提交工单 ${id}，客服会在 ${when(due, ctx.now, ctx.tz)} 前回复你（订单号、付款时间、商品和问题都已附上，不用重复说明）。着急可以回复“转人工”。`,
  ticketExists: (id: string) => `这个问题已经有工单 ${id} 在处理了。还想加快的话可以回复“转人工”。`,

  // Escalate rung: handoff.
  noAgentTicket: (why: 'closed' | 'offline', hours: string, id: string, due: Date, ctx: ReplyContext) =>
    `${why === 'closed' ? `人工客服的服务时间是每天 ${hours.replace('-', '–')}，现在不在线。` : '现在人工客服都不在线。'}我已经把你的问题提交成工单 ${id}（订单和聊天记录都附上了），客服会在 ${when(due, ctx.now, ctx.tz)} 前回复你，回复会发到这里。`,
  /** 转人工 from a channel that only answers requests (a JSON API): no queue its buyer would never hear from. */
  oneWayTicket: (id: string, due: Date, ctx: ReplyContext) =>
    `这个窗口收不到人工客服的回复，所以没有帮你排队等人工。我已经把你的问题提交成工单 ${id}（订单和聊天记录都附上了），客服会在 ${when(due, ctx.now, ctx.tz)} 前处理。想直接和客服聊，请用店铺网页上的在线客服。`,
  handoffQueued: (ahead: number, waitMin: number) =>
    `已为你转接人工客服，${ahead > 0 ? `前面还有 ${ahead} 位，预计等 ${waitMin} 分钟左右` : '你排在第一位，客服马上接入'}。客服会直接在这里回复你，订单情况我已经转给客服，不用重复说明。你也可以先离开，回复不会丢；不想等了回复“不用了”。`,
  queueTimedOut: (id: string, due: Date, ctx: ReplyContext) =>
    `抱歉让你久等了，客服一直没能接入。我已经把你的问题转成工单 ${id}（订单和聊天记录都附上了），客服会在 ${when(due, ctx.now, ctx.tz)} 前回复你，回复会发到这里。`,
  // Hand-back after an agent resolves, and the rating.
  askRating: () => '这次人工服务就到这里，后面有问题随时找我。方便的话给客服打个分吧：回复 1–5（5 分最满意）。',
  ratingThanks: (n: number) => (n >= 4 ? `收到 ${n} 分，谢谢你的认可！` : `收到 ${n} 分，谢谢反馈，我们会改进。`),
  ratingNotSolved: (n: number, id: string, due: Date, ctx: ReplyContext) =>
    `收到 ${n} 分。抱歉没能帮你解决，我已经把你说的情况提交成工单 ${id}，客服会在 ${when(due, ctx.now, ctx.tz)} 前回复你，回复会发到这里。`,
  handoffAlready: () => '已经在排队等人工客服了，客服接入后会在这里回复你。不想等了可以回复“不用了”。',
  escalateOffer: () => '这种情况需要人工处理，我帮你转人工客服吗？回复“好的”或“不用了”。',
  agentJoined: (agentName: string) => `客服 ${agentName} 已接入，接下来由人工为你处理。`,
  /** An agent passed the buyer to a colleague (who is online: the console allows nothing else). */
  agentTransferred: (from: string, to: string) => `客服 ${from} 把你转给了同事 ${to}，接下来由 ${to} 为你处理，前面说过的不用再说一遍。`,
  ticketAnswer: (id: string, agentName: string, text: string) => `关于工单 ${id}，客服 ${agentName} 回复：${text}`,
  agentMessage: (agentName: string, text: string) => `${agentName ? `客服 ${agentName}` : '客服'}：${text}`,
  handoffCanceled: () => '好的，已经取消排队。有需要随时再说“转人工”。',
  escalateDeclined: () => '好的，先不转。需要时随时回复“转人工”。',

  // Rights rung.
  rights: () =>
    '如果商家一直没解决，你可以这样维权：\n1. 订单已取消或无法发货却不退款：依据《电子商务法》要求商家退款，保留聊天和付款记录\n2. 向支付渠道申请交易纠纷：微信支付或支付宝的账单详情里有投诉入口，附上订单截图和付款凭证\n3. 拨打 12315 或在全国12315平台投诉\n4. 商家失联、疑似跑路：带上付款凭证到公安机关报案',

  faqAnswer: (title: string, body: string) => `【${title}】\n${body}`,
  /** A model's answer from one article, checked against it; the article is named. */
  faqGrounded: (answer: string, title: string) => `${answer}\n\n（参考：${title}）`,
  faqNone: () => '这个问题我的知识库里暂时没有答案。如果是某笔订单的问题，发我订单号我帮你查；也可以回复“提交工单”或“转人工”。',
  faqMore: () => '还有疑问的话，发订单号我帮你查具体订单。',

  // What happens next (a queue or a ticket) is said by the handoff itself: no promise here.
  complaint: () => '非常抱歉让你有不好的体验。',
  refundAsk: () => '退款需要先看订单情况。请发一下订单号；没有订单号回复“没有订单号”。',
  refundGeneral: () => '退款一般原路退回：微信、支付宝通常即时到 1–3 个工作日，银行卡最长约 7 个工作日。',
  paymentIssueIntro: () => '扣了款但订单不对，这种情况要核对付款记录。先发一下订单号吧。',

  // Waiting for people: where the buyer stands, honestly.
  queueWait: (ahead: number, waitMin: number) =>
    ahead > 0
      ? `你在排队等人工客服，前面还有 ${ahead} 位，预计还要 ${waitMin} 分钟左右。客服接入后会在这里回复你，不想等了回复“不用了”。`
      : '你排在第一位，客服马上就接入，请稍等。不想等了回复“不用了”。',
  withAgent: (agentName: string) => `客服 ${agentName} 正在处理你的问题，会在这里回复你，请稍等。`,
  ticketWait: (id: string, due: Date, hours: string, closedNow: boolean, ctx: ReplyContext) =>
    `你的问题已经提交成工单 ${id}，客服会在 ${when(due, ctx.now, ctx.tz)} 前回复你${closedNow ? `（人工客服每天 ${hours.replace('-', '–')} 上班，现在还没上班）` : ''}。回复会发到这里，不用一直守着；有补充直接发我，我会附到工单里。`,

  // Follow-ups about the order the conversation is about: what was asked, not the whole block again.
  refundFiled: (id: string, due: Date, ctx: ReplyContext) =>
    `可以退款。我已经提交了退款申请（工单 ${id}），客服会在 ${when(due, ctx.now, ctx.tz)} 前处理。退款原路退回：微信零钱、支付宝余额一般即时到账，银行卡一般 1–3 个工作日。`,
  refundWhen: (id: string, due: Date, ctx: ReplyContext) =>
    `退款要等客服在工单 ${id} 里办理，会在 ${when(due, ctx.now, ctx.tz)} 前处理。办好后原路退回：退到微信零钱、支付宝余额的一般马上到账，退到银行卡的一般 1–3 个工作日。`,
  refundPending: (id: string, due: Date, ctx: ReplyContext) =>
    `退款申请已经在工单 ${id} 里了，客服会在 ${when(due, ctx.now, ctx.tz)} 前处理。退款原路退回：微信零钱、支付宝余额一般即时到账，银行卡一般 1–3 个工作日。`,
  refundDelivered: (o: UnifiedOrder) =>
    o.productType === 'phone_topup'
      ? '这笔充值已经到账了，到账后的话费、流量一般不能退款。如果余额里没看到，把充值号码核对一下，或告诉我具体情况，我帮你提交售后。'
      : o.productType === 'physical_card'
        ? '包裹已经签收了。实体卡退货要看店铺的售后规则（卡没拆封、没使用），我帮你提交售后申请的话回复“提交工单”，说一下原因。'
        : `这笔订单的${o.productType === 'software_license' ? '激活码' : '卡密'}已经发放了。虚拟商品发出后一般不支持无理由退款（在线下载的数字化商品不适用七天无理由退货）。如果有问题（无效、提示已被使用），把具体情况告诉我，我帮你提交售后。`,
  refundNotPaid: () => '这笔订单还没付款，不需要退款：不想要了不付就行，订单到时会自动关闭。如果钱已经扣了，回复“钱扣了”，我帮你核对。',
  refundClosed: () => '这笔订单已经关闭了，没有扣款的话不用退款。如果钱扣了，回复“钱扣了”，我帮你核对后退款。',
  refundShipped: () => '包裹已经发出，退款要先拦截或退回包裹，客服会联系你安排。',
  noTracking: (title: string) => `这是虚拟商品（${title}），不走快递，所以没有快递单号，卡密/充值会直接发到订单里。`,
  notShipped: () => '还没发货，所以暂时没有快递单号；发货后订单里会显示，我也能帮你查。',
  accountMatches: (masked: string) => `订单里的充值账号是 ${masked}，和你说的号码对得上（能看到的几位都一样），没填错。`,
  accountDiffers: (masked: string) => `订单里的充值账号是 ${masked}，和你发的号码对不上。如果真的填错了，回复“提交工单”，我帮你交给客服看能不能拦下来或退款。`,
  noChange: (told: string) => `还没有新进展，和刚才一样：${told}`,
  notYetDelivered: (what: string, why: string) => `这笔订单的${what}还没发出来（${why}）。`,
  inTicket: (id: string) => `客服在工单 ${id} 里处理。`,
  shopSays: (notice: string) => `店铺说明：${notice}`,
  disputeFiled: (what: string, masked: string, id: string, due: Date, ctx: ReplyContext) =>
    `${what}提示已被使用或无效，需要客服查这张${what}的使用记录，再给你补发或退款。我已经提交售后工单 ${id}（${what} ${masked} 和你的描述都附上了），客服会在 ${when(due, ctx.now, ctx.tz)} 前回复你。方便的话发一张提示的截图，我附到工单里。`,
  newCodeSame: (what: string, masked: string, id?: string) =>
    `订单里的${what}还是原来那张（${masked}），补发的还没更新到订单上。${id ? `工单 ${id} 还在处理中，客服补发后` : '客服补发后'}订单里会显示新的${what}，到时回复“查看${what}”就能看到。`,
  newCodeUpdated: (what: string, masked: string) => `订单里的${what}已经更新了（现在是 ${masked}）。要看完整的，回复“查看${what}”，核对身份后发给你。`,
  confirmCandidate: (o: UnifiedOrder, ctx: ReplyContext) =>
    `找到一笔时间对得上的订单：${o.orderNo}｜${o.title}｜${money(o.amount, o.currency)}｜${paidWhen(o, ctx)}｜${statusLabel(o)}
是这笔吗？回复“是”或“不是”。`,
  notThisOne: () => '好的，不是这笔。这个时间附近没有别的订单了：可以换个付款时间再说一次，或者发一下订单号；都找不到的话回复“提交工单”。',

  alreadyVerified: () => '你已经核对过身份了。',
  notResolvedNoOrder: () => '还没帮你查到具体订单。发我订单号，我看看卡在哪一步。',
  resolvedThanks: () => '太好了，问题解决就好！还有别的需要随时找我。',
};

function revealLines(d: Delivery): string {
  switch (d.kind) {
    case 'card_codes':
      return `卡密：\n${d.items.map((it, i) => `${i + 1}. ${it.plaintext ?? it.masked}`).join('\n')}`;
    case 'license_key':
      return `激活码：\n${d.items.map((it, i) => `${i + 1}. ${it.plaintext ?? it.masked}`).join('\n')}`;
    case 'topup_receipt':
      return `充值账号：${d.account ?? '—'}${d.voucherUrl ? `，充值凭证：${d.voucherUrl}` : ''}`;
    case 'tracking_number':
      return `${d.carrierName ?? '快递'}单号：${d.trackingNo}`;
  }
}

/** What was delivered, masked. */
export function maskedDelivery(d: Delivery, ctx: ReplyContext, status?: UnifiedOrder['status']): string {
  switch (d.kind) {
    case 'card_codes':
    case 'license_key': {
      const what = d.kind === 'card_codes' ? '卡密' : '激活码';
      const list = d.items.map((it, i) => `${i + 1}. ${it.masked ?? '****'}`).join('\n');
      return `已发放${what}（部分打码）：\n${list || '（暂无）'}`;
    }
    case 'topup_receipt': {
      // Only money that arrived is "到账": a failed top-up's finish time is its failure. A shop that
      // says the order is delivered but records no amount gets no amount claimed either way.
      const arrived = !!d.chargedAmount && Number(d.chargedAmount) > 0;
      const shopSaysDone = status === 'delivered' || status === 'completed';
      return `充值账号 ${d.account ?? '—'}${d.faceValue ? `，面值 ${d.faceValue} 元` : ''}${arrived ? `，已到账 ${d.chargedAmount} 元${d.finishedAt ? `（${when(new Date(d.finishedAt), ctx.now, ctx.tz)}）` : ''}` : d.finishedAt && !shopSaysDone ? '，没有充上' : ''}。`;
    }
    case 'tracking_number':
      return `${d.carrierName ?? '快递'}单号：${d.trackingNo}${d.lastEvent ? `\n最新物流（${when(new Date(d.lastEvent.at), ctx.now, ctx.tz)}）：${d.lastEvent.text}` : ''}`;
  }
}

const etaText = (d: Diagnosis, ctx: ReplyContext) => (d.eta ? when(d.eta, ctx.now, ctx.tz) : '');

const SELF_CHECK: Partial<Record<Cause, string>> = {
  not_paid: '自查：\n1. 看看微信/支付宝账单里有没有这笔扣款\n2. 没扣款就回到订单页重新支付\n3. 已经扣款了请告诉我“钱扣了”，我帮你核对',
  sync_delay: '自查：\n1. 刷新订单中心或退出重新登录再看\n2. 充值订单和发货订单可能在不同页面，两个都看看\n3. 看看下单邮箱的垃圾箱，卡密邮件有时被拦截',
  upstream_pending: '自查：\n1. 确认充值账号/手机号填写无误\n2. 充值中请不要重复下单，以免重复扣款\n3. 到账后运营商或游戏会有短信/邮件通知',
  manual_review: '审核期间不需要你操作，也不要重复下单。有结果后订单状态会更新，可以随时发订单号再查。',
  logistics_pending: '自查：\n1. 快递揽收前查不到物流是正常的\n2. 用快递单号在快递公司官网或小程序上查\n3. 顺丰、中通等可能需要收件手机号后4位',
  order_not_found:
    '自查：\n1. 核对订单号有没有多输、少输或输错字母（O和0、I和1）\n2. 微信/支付宝账单里的“交易单号”不是商城订单号\n3. 找不到订单号可以回复“没有订单号”，按付款时间帮你找',
  wrong_identifier: '',
  expired_or_canceled: '这笔订单已经关闭，需要的话重新下单即可。如果钱已经扣了，回复“钱扣了”，我帮你处理退款。',
};

/** "今天14:31付款", "不晚于今天14:31付款" when the shop records no exact time, or "未付款". */
function paidWhen(o: UnifiedOrder, ctx: ReplyContext): string {
  if (!o.paidAt) return '未付款';
  return `${o.paidAtPrecision === 'upper_bound' ? '不晚于' : ''}${when(new Date(o.paidAt), ctx.now, ctx.tz)}付款`;
}

/** The explanation of a diagnosis for one order (or a failed lookup). */
export function explain(d: Diagnosis, order: UnifiedOrder | undefined, extra: { given?: string; givenAs?: string; closeMatches?: string[] }, ctx: ReplyContext): string {
  const eta = etaText(d, ctx);
  // A shop that records no payment time gives only the latest it can have been: the wait is at least this.
  const atLeast = order?.paidAtPrecision === 'upper_bound' ? '至少' : '';
  const waited = d.waitedMin !== undefined ? `${atLeast}${duration(d.waitedMin)}` : '';
  const type = order?.productType;
  switch (d.cause) {
    case 'not_paid':
      return `这笔订单还没有收到付款，所以不会生成卡密/单号。${eta ? `订单会在${eta}自动关闭，在那之前可以继续支付。` : ''}`;
    case 'payment_unconfirmed':
      return d.holdReason === 'payment_mismatch'
        ? '这笔订单收到的付款金额和订单金额对不上，系统没有自动发货，需要客服核对付款记录后处理。'
        : '你说已经扣款，但订单这边还显示没收到付款。这通常是支付回调没送达，需要客服拿付款记录核对后补单或退款。';
    case 'expired_or_canceled':
      return `这笔订单已${order?.status === 'canceled' ? '取消' : '超时关闭'}，不会再发货。`;
    case 'manual_review': {
      const closed = d.hours && !isOpen(ctx.now, d.hours, ctx.tz);
      const hours = d.hours ? `审核时间是每天 ${formatHours(d.hours)}${closed ? '，现在不在审核时间' : ''}，` : '';
      return d.pastWindow
        ? `这笔订单在人工审核，已经等了${waited}，超过了正常的审核时间（本应在${eta}之前有结果），我帮你转人工催一下。`
        : `这笔订单需要人工审核，审核通过才会发货。${hours}一般${eta}之前会有结果。`;
    }
    case 'sync_delay': {
      const thing = type === 'physical_card' ? '发货' : type === 'phone_topup' ? '充值' : type === 'software_license' ? '激活码' : '卡密';
      const promised = promiseText(d) ? `商品写明${promiseText(d)}，` : '';
      // Manual delivery waits for people: say when they work when they do not now.
      const people = d.hours ? `这笔是人工发货，发货时间是每天 ${formatHours(d.hours)}${isOpen(ctx.now, d.hours, ctx.tz) ? '' : '，现在不在发货时间'}，` : '';
      return d.step === 'self_check'
        ? `付款已经收到（${waited}前），${thing}正在处理。${people}${promised}一般${eta}之前就会好，先别着急。`
        : `付款已经收到${waited}了，${thing}还没好，比平时慢了一些。${people}一般${eta}之前能好，我先帮你提交给客服跟进。`;
    }
    case 'upstream_pending': {
      const what = type === 'phone_topup' ? '话费' : '订单';
      const promised = promiseText(d) ? `商品写明${promiseText(d)}，` : '';
      return d.step === 'self_check'
        ? `${what}已经提交给供货方，正在充值中（已经${waited}）。${promised}一般${eta}之前到账。`
        : `${what}在供货方那边已经处理了${waited}，超过了${promiseText(d) ? `商品写明的${promiseText(d)}` : '正常时间'}（本应在${eta}之前完成），我帮你转人工核查。`;
    }
    case 'upstream_failed': {
      if (order?.status === 'partially_delivered') return '这笔充值只成功了一部分，剩下的需要客服处理补充或退差价。';
      const failed = '供货方那边处理失败了，这笔订单不会到账。';
      if (d.refund?.state === 'processing') return `${failed}${refundUnderWay(d, ctx)}`;
      return `${failed}需要客服帮你退款或重新提交，我帮你交给客服。`;
    }
    case 'out_of_stock':
      return order?.status === 'partially_delivered'
        ? '这笔订单只发了一部分，剩下的暂时缺货，需要客服补货或退差价。'
        : '付款时商品刚好缺货，卡密没能发出来。需要客服给你补发或退款。';
    case 'logistics_pending':
      return order?.delivery?.kind === 'tracking_number' && order.delivery.lastEvent
        ? '包裹已经在路上了，物流信息如下。'
        : `已经发货了，快递还没有揽收扫描（发货已${waited}），这段时间查不到物流是正常的，一般${eta}之前会有记录。`;
    case 'logistics_problem':
      return d.holdReason === 'logistics_exception'
        ? '快递那边出现了异常（如疑难件、退回或拒收），需要人工联系快递处理。'
        : d.holdReason === 'logistics_api_error'
          ? '物流查询接口出了问题，暂时查不到轨迹，需要人工核查。'
          : `已经发货${waited}了，快递还没有任何扫描记录，超过了正常时间，需要人工核查。`;
    case 'risk_hold':
      return '这笔订单被风控系统暂时冻结了（显示“待处理”），需要人工核实后才能放行，这一步没法自己解除。';
    case 'order_not_found':
      return `没有查到订单号 ${extra.given ?? ''} 的订单。${extra.closeMatches?.length ? `你是不是要找：${extra.closeMatches.join('、')}？` : ''}`;
    case 'wrong_identifier':
      return extra.given && order
        ? `你发的是${extra.givenAs === 'courier_no' ? '快递单号' : extra.givenAs === 'wechat_pay_txn' || extra.givenAs === 'alipay_txn' ? '付款账单里的交易单号' : '其他单号'}，不是商城订单号。它对应的订单号是 ${order.orderNo}，以后查询用这个就行。${d.underlying ? `\n${explain(d.underlying, order, {}, ctx)}` : ''}`
        : `你发的 ${extra.given ?? ''} 是${extra.givenAs === 'courier_no' ? '快递单号' : '付款账单里的交易单号'}，不是商城订单号，我这边没找到对应的订单。订单号在订单中心或下单邮件里，一般是字母数字组合或18位数字。`;
    case 'code_not_tracking':
      return `这是虚拟商品，不走快递，所以没有快递单号。商品是以${order?.productType === 'software_license' ? '激活码' : order?.productType === 'phone_topup' ? '直接充值到账' : '卡密（卡号+密码）'}的形式发放的，已经发货了。`;
    case 'delivered':
      return type === 'phone_topup' ? '这笔充值已经成功到账了。' : type === 'physical_card' ? '包裹已经签收了。' : '这笔订单已经发货了。';
    case 'refunded':
      return refundDone(d, order, ctx);
    case 'overdue':
      return `付款已经${waited}了还没发货，明显超过了正常时间，我帮你转人工处理。`;
  }
}

/** The product's promise as the shop worded it, or its span ("3天内到账") when only the number is known. */
const promiseText = (d: Diagnosis) => (d.promise ? d.promise.text || `${duration(d.promise.minutes)}内到账` : '');

/** A refund that is being made: what the shop said, and when it should arrive (business days: "about"). */
function refundUnderWay(d: Diagnosis, ctx: ReplyContext): string {
  const r = d.refund!;
  const window = r.window?.text ? `${r.window.text}` : '';
  const to = r.channel ? `退回${r.channel}` : '原路退回';
  const by = d.eta && d.eta.getTime() > ctx.now.getTime() ? `最晚${day(d.eta, ctx.now, ctx.tz)}到账${r.window?.businessDays ? '（遇节假日顺延）' : ''}` : '';
  return `退款正在办理中${window ? `，${window}${to}` : `，${to}`}${by ? `，${by}` : ''}。到时还没到账再找我。`;
}

/** A refund that was made: when, how much, where to, and whether it should be there by now. */
function refundDone(d: Diagnosis, order: UnifiedOrder | undefined, ctx: ReplyContext): string {
  const r = d.refund;
  const partial = order?.status === 'partially_refunded';
  const when_ = r?.at ? `已于${when(new Date(r.at), ctx.now, ctx.tz)}` : '已经';
  const amount = r?.amount ? ` ${money(r.amount, order?.currency ?? 'CNY')}` : '';
  const to = r?.channel ? `，退回${r.channel}` : '，原路退回';
  const head = `这笔订单${when_}${partial ? '部分退款' : '退款'}${amount}${to}。`;
  if (!d.eta) return `${head}微信零钱、支付宝余额一般即时到账，银行卡一般 1–3 个工作日，最长约 7 个工作日。`;
  if (d.eta.getTime() <= ctx.now.getTime()) {
    const where = r?.channel ? `${r.channel}的明细` : '付款用的微信/支付宝账单或银行卡流水';
    return `${head}按时间应该已经到账了，可以在${where}里找一下（退款会单独一条记录）。没找到的话回复“没找到”，我帮你转客服查。`;
  }
  return `${head}最晚${day(d.eta, ctx.now, ctx.tz)}到账（遇节假日顺延）。`;
}

export function selfCheckSteps(cause: Cause): string | undefined {
  return SELF_CHECK[cause] || undefined;
}

export function deliveredHowTo(o: UnifiedOrder): string {
  const where = o.productType === 'software_license' ? '激活码' : '卡密';
  return `完整${where}可以在订单中心或下单邮件里查看；要在这里看，回复“查看${where}”，核对身份后发给你。`;
}

export function holdLabel(o: UnifiedOrder): string {
  return o.holdReasons.map((r) => HOLD_LABEL[r]).join('、');
}

export function productLabel(t: ProductType): string {
  return PRODUCT_LABEL[t];
}

export const slotLabels = {
  /**
   * A time the buyer gave, as vague as they gave it: a whole day is the day ("昨天"), a part of a
   * day its name ("昨天晚上"), never its midnight or its 18:00.
   */
  paymentTime: (at: Date, ctx: ReplyContext, window?: { from: Date; to: Date }) => {
    const span = window ? window.to.getTime() - window.from.getTime() : 0;
    if (span >= 12 * 3_600_000) return `付款时间 ${day(at, ctx.now, ctx.tz)}`;
    if (span >= 2 * 3_600_000) return `付款时间 ${day(at, ctx.now, ctx.tz)}${partOfDay(localFields(at, ctx.tz).hour)}`;
    return `付款时间 ${when(at, ctx.now, ctx.tz)}`;
  },
  productType: (t: ProductType) => `商品 ${PRODUCT_LABEL[t]}`,
  contact: (c: string) => `联系方式 ${maskContact(c)}`,
};

/** 凌晨, 早上, 上午, 中午, 下午, 晚上 for an hour of the shop's day. */
function partOfDay(hour: number): string {
  return hour < 6 ? '凌晨' : hour < 9 ? '早上' : hour < 12 ? '上午' : hour < 14 ? '中午' : hour < 18 ? '下午' : '晚上';
}

export { when, duration } from './format.js';

/**
 * Intent by rules for zh-CN (the closed set of DESIGN §5), plus the conversational signals the
 * dialogs need (yes / no, "still not solved", "I have no order number", restart, help).
 */

export const INTENTS = [
  'order_status',
  'card_code',
  'payment_issue',
  'refund',
  'human_agent',
  'complaint',
  'provide_info',
  'greeting',
  'thanks',
  'goodbye',
  'faq',
  'unknown',
] as const;
export type Intent = (typeof INTENTS)[number];

const R = {
  // "人工审核" is a hold the buyer may mention; it is not a request for a human.
  human: /转人工|人工(?!审核|处理|核实|发货|充值)|真人|活人|human|real person|\bagent\b|客服在吗|叫.{0,3}客服|^找客服|我要找客服|让客服(来|联系)|机器人听不懂|不要机器人|换个人/,
  complaint:
    /投诉|骗子|骗人|骗钱|诈骗|举报|黑店|黑心|跑路|垃圾|告你们|报警|维权|12315|消协|坑人|太坑|坑爹|太差|差评|服务态度|再也不(会)?(来|买)|没有?良心|装死|恶心|无良|奸商|曝光|什么破|失望|没人管|效率太低|scam/i,
  refund: /退款|退钱|退回|退货|能退|可以退|给我退|帮我退|申请退|退了吧|退掉|退一|退单|退了没|退到哪|退费|不想要了|原路返回|refund/i,
  // Charged *and* the order says otherwise (unpaid, failed, charged twice). Charged with nothing
  // delivered is the delivery's question (a code, a top-up), not a payment issue.
  payment:
    /重复(支付|付款|扣)|扣了(我)?两(次|笔)|扣两次|两笔钱|扣款成功|(扣款|扣钱|扣费|扣了|被扣|钱扣了?|钱已经扣).{0,12}(未付款|待付款|未支付|待支付|没支付|取消|关闭|失败|没付|没成功|不成功|没生成|没下单|超时|订单没)|(订单没生成|没下单成功|支付超时|付款超时|转圈|卡住了).{0,16}(扣|钱)|付了两次|两次款|支付失败|付款失败|付款一直失败|(支付成功|付款成功|付了钱|付过钱|钱都付了|已经付了|付了款|已付款).{0,12}(未付款|待付款|未支付|待支付|没支付|取消|关闭|失败|没付)|显示未支付|显示待支付|显示未付款|钱没了|多扣|付款没反应|再付一次|又让我付|还让我(再)?付|money gone|unpaid|charged twice/i,
  code: /卡密|卡蜜|激活码|密钥|秘钥|序列号|cdk|兑换码|钱包码|礼品码|充值码|卡号|卡券|授权码|\bkey\b/i,
  /** Something wrong with a code (a card_code question even when phrased generally). */
  codeProblem:
    /用不了|不能用|用不上|激活不了|无效|失效|复制不了|兑换不了|充不进|提示.{0,8}(错误|已使用|已被使用|无效|失败)|已被使用|已使用|报错|激活失败|显示不全|看不全|打码|不对|错误/,
  status:
    /订单|单号|到账|没到|没收到|收不到|没有收到|还没(有)?(发|到|给|来|处理|好)|没处理|查不到|找不到|发货|快递|物流|运单|充值|到了吗|什么时候到|多久(能|才)?到|怎么还没|咋还没|进度|状态|处理中|待处理|不见了|没反应|没动静|查一?下|帮我查|看看.*单|到哪了|咋样了|怎么样了|什么情况|还在处理|处理了吗|好了没|发了没|到了没|(那|这)(个|笔)?单|查单|查询|\border\b|processing|tracking/i,
  faq: /什么是|是什么|区别|有什么不同|怎么(看|查看|用|使用|辨别|判断|区分|申请|联系|操作|买|付款|充)|如何|怎样|多久|多长时间|几天|一般要|需要多久|正常吗|为什么|能不能|可不可以|可以.{0,10}吗|能.{0,10}吗|是.{0,12}吗|有没有|支持|哪些|哪种|几点|怎么办|靠谱|正规|安全吗|要提供什么|需要什么|准备什么|要准备|包邮|优惠|发票|营业|官方/,
  greeting:
    /^(亲|老板|客服|掌柜|小哥|美女|哈喽|你好|您好)?[,， ]*(你好|您好|在吗|在不在|在么|hi|hello|哈喽|嗨|有人吗|早上好|晚上好|下午好|早|喂|打扰了|打扰一下)[啊呀吗呢!！~。.？?，, ]*$/i,
  thanks: /谢谢|谢了|谢啦|谢谢啦|感谢|多谢|thanks|thank you|thx|3q|辛苦了|感恩/i,
  goodbye: /再见|拜拜|拜$|bye|^88$|886|回头见|回头再联系|下次见|告辞|先这样|没事了|先下了|先走了|撤了|溜了/i,
};

/** Whose question: about the buyer's own order, or about the shop in general. */
const PERSONAL =
  /我.{0,6}(买|付|下单|充|拍|订单|单|卡|号)|我(的|那|这)|(这|那)(个|笔)?单|订单号[是:：]|单号是|了吗|了没|没到|还没|查不到|没收到|收不到|不见了|没反应|没动静|什么时候(能|会)?到|发的什么|(下单|付款|付了|充了|买了|拍了).{0,8}了|没显示|啥也没|什么都没|呢[？?]?$/;
/** A general question must be about shopping here to be an FAQ ("明天会下雨吗" is not). */
const DOMAIN =
  /卡|充|单|货|付|款|买|退|客服|店|商品|激活|密|码|快递|物流|寄|发|账|价|优惠|发票|支付|网站|平台|官方|渠道|注册|登录|会员|游戏|话费|流量|q币|steam|营业|上班|售后|骗|靠谱|正规|安全/i;
const QUESTION = /吗[？?!！。~]*$|[？?]|是.{1,10}还是|哪些|哪种|几天|多久|多长时间|是否|能不能|可不可以|有没有|怎么|如何|怎样|为什么|是什么|什么是|区别/;
const INFO_LABELS =
  /这个|就是|如下|订单编号|订单号|单号|订单|付款时间|支付时间|下单时间|手机号|手机|电话|微信号|微信|邮箱|qq号?|vx|wx|元|块|号码|账号|买的是|买的|充的是|充的|下的单|下单|付款|付的款|付的|支付|大概|左右|是|在|了|的|：|:|，|,|。|\s/gi;

export const SIGNALS = {
  yes: /^(是|是的|对|对的|嗯|嗯嗯|好|好的|可以|行|要|需要|没错|ok|okay|yes|y|确定|确认|麻烦了|好啊|行吧)[啊呀吧的了!！~。.，, ]*$/i,
  no: /^(不|不是|不用|不要|没有|否|no|n|算了|不需要|先不用|暂时不用|不了)[啊呀吧的了!！~。.，, ]*$/i,
  /** A question ("怎么还没到账？") asks for the status again; a bare "还是没到" climbs the ladder. */
  question: /怎么|为什么|为啥|咋|吗|？|\?|什么时候|多久|哪/,
  notResolved: /还是没|还没(到|收到|好|解决|有)|仍然没|依然没|一直没|没用|不行|没解决|还不行|还是不行|等了.{0,8}(还是|也|都)?没|都没(到|收到)|还是查不到|没有用|不管用|解决不了/,
  resolved: /到了|到账了|收到了|好了|解决了|可以了|查到了|找到了|没问题了/,
  noOrderNo:
    /没有?(订单号|单号|订单编号)|不知道(订单号|单号)|找不到(订单号|单号)|忘(了|记)(订单号|单号)|没记(订单号|单号|下来)|(订单号|单号|订单编号)[^，。,.!！?？]{0,4}(没有|找不到|不知道|忘了|忘记|丢了|记不得|记不清|没记|删了)/,
  restart: /^(重新开始|重来|重新来|取消|退出|结束|清空|reset|restart|cancel)[吧了!！。.]*$|重新开始|从头开始/i,
  help: /^(帮助|help|菜单|功能|\?|？|你能做什么|你会什么|你能干什么|能做什么|怎么用你)[!！。.？?]*$/i,
  moneyTaken: /扣款|扣钱|扣了|被扣|钱扣|钱已经|钱都付|付过钱|已经付(了)?钱|钱没了|扣费|付了钱|花了钱|钱付了/,
  saysPaid: /付款了|付了款|付过|已付|已经付|支付了|已支付|已经支付|付钱了|付了|交钱了|买了|下单了/,
  wantsTracking: /快递单号|快递号|运单号|物流单号|物流信息|物流|快递|发货单号|寄出|单号在哪里?看/,
  wantsCode: /卡密|激活码|密钥|秘钥|序列号|cdk|兑换码|卡号|密码/i,
  wantsReveal:
    /^查看(完整的?)?(卡密|激活码|密钥|卡号)|完整|全部显示|看不全|打码|显示全|星号|\*{2,}|怎么(看|查看)(卡密|激活码|密钥)|(给|发)我(卡密|激活码|密钥)|卡密(是多少|发我|在哪)/,
  /** Stop waiting for a human agent. */
  cancelWait: /^(不用了|不等了|算了|取消|取消排队|不要人工了|不用人工了|不需要了)[吧了!！。.]*$|取消(人工|排队|转人工)|不用转人工|不等人工/,
  ticket: /提交工单|提工单|留个?工单|开工单|^工单$/,
  /** A question about when ("多久能退回来", "还要等多久", "什么时候能好"). */
  asksWhen: /多久|多长时间|什么时候|啥时候|几点|何时|要等|还要等|等多久|几天|几个小时|多少天|多会儿|啥时/,
  /** Checking the account a top-up goes to ("充值的号码是156…吗 我怕填错了"). */
  accountCheck: /(号码|账号|手机号|号)\s*(是|对不对|对吗|没错吧|有没有错)|填错|写错|充错|输错|号码对/,
  /** Where the money is ("钱呢", "退的钱到哪了"): the refund, for an order that has one. */
  /** "到了告诉我": tell me when the order moves. */
  notifyMe:
    /(到了|到账了?|发货了?|好了|有(进展|结果|变化|消息|动静)了?|处理好了?|审核(通过|好)了?)(就|再|请|麻烦)?(告诉|通知|提醒|叫|跟|喊)(一下)?我|(通知|提醒)我(一下)?(吧|呗|好吗|可以吗)?[。！!.~]*$|有(进展|结果|变化|消息)(就|再)?(告诉|通知|提醒)|帮我(盯着|盯一下|跟踪|跟进一下)|到了告诉我/,
  /** "不用通知了": stop telling me. */
  notifyStop: /(不用|不要|别|无需|不需要)(再)?(通知|提醒|告诉我|发消息|跟踪)|取消(通知|提醒|跟踪)|停止(通知|提醒|跟踪)|关(掉|闭)(通知|提醒)/,
  wheresMoney: /钱呢|钱去哪|钱到哪|钱在哪|退的钱|钱退了吗|钱退回|钱什么时候|我的钱/,
  /** A question about why ("为什么要审核"). */
  asksWhy: /为什么|为啥|凭什么|怎么会|什么原因|啥原因|咋回事|怎么回事/,
  /** A code that does not work: a dispute about what was delivered, not a request to see it. */
  codeUsed: /已被使用|已使用|被用过|被人用了|用过了|已被兑换|已兑换过|无效|失效|提示.{0,8}(错误|失败|无效|不存在)|卡密(不对|错误)|激活失败|兑换失败/,
  /** Asking for a replacement code ("新的卡密在哪", "补发的呢"). */
  newCode: /新的?(卡密|激活码|码)|补发|重新发|重发|换一个(卡密|码)|另发|重新给/,
  /** Asking where the people are ("人呢", "客服呢", "怎么没人回"). */
  wherePerson: /^人呢|人去哪|人在哪|客服呢|客服人呢|怎么没人|还没人|没人(回|理|管)|有人(在)?吗|人工呢|人工怎么还/,
  /** Venting words: routed as a complaint (priority) even when the message also asks about an order. */
  venting: /投诉|骗子|骗人|骗钱|诈骗|黑店|黑心|跑路|垃圾|坑人|太坑|坑爹|太差|差评|服务态度|没有?良心|恶心|无良|奸商|什么破|失望|scam/i,
  /** Not the order the bot picked ("不是这个", "不是这笔", "选错了"). */
  notThis: /不是这(个|笔|单|一笔)|不是它|选错了|弄错了|搞错了|不是这张|换一个|另外一(个|笔)|另一(个|笔)/,
  rights: /维权|权益|投诉|12315|交易纠纷|报警|起诉|电子商务法|消协|跑路/,
};

export interface IntentFacts {
  text: string;
  hasIdentifier: boolean;
  hasTime: boolean;
  hasProductType: boolean;
  hasContact: boolean;
  /** The text with identifiers, contacts, times and product words taken out. */
  residual: string;
}

export function classifyIntent(f: IntentFacts): Intent {
  const t = f.text;
  if (!t || !/[\p{L}\p{N}]/u.test(t)) return 'unknown';
  if (R.human.test(t)) return 'human_agent';
  const howToJudge = /辨别|判断|识别|分辨|怎么防|防止|避免|如何防|是不是/.test(t) && QUESTION.test(t) && !PERSONAL.test(t);
  // DESIGN §5 rule 3: complaint only when venting is the whole message; venting about a named
  // order or a concrete status question is that question (the dialogs still route it as a complaint).
  const rest = t.replace(new RegExp(R.complaint.source, 'gi'), '');
  const topic = f.hasIdentifier || (R.status.test(rest) && /吗|[？?]|什么时候|多久|几时|怎么还|咋还|到哪|进度/.test(rest));
  // Venting plus a refund request is a refund (rule 3).
  if (R.complaint.test(t) && !howToJudge && !topic && !R.refund.test(t)) return 'complaint';
  if (R.refund.test(t)) return 'refund';
  if (R.payment.test(t)) return 'payment_issue';
  // Venting that names an order is a question about that order.
  if (R.complaint.test(t) && !howToJudge) return 'order_status';
  // "感谢感谢 已经到账了": thanks for something that arrived, not a status question.
  if (R.thanks.test(t) && SIGNALS.resolved.test(t) && !SIGNALS.notResolved.test(t)) return 'thanks';

  // A message that only carries details (number, time, product, contact) answers a question.
  const info = f.hasIdentifier || f.hasTime || f.hasProductType || f.hasContact;
  if (info && f.residual.replace(INFO_LABELS, '').length === 0) return 'provide_info';

  const bare = t.replace(/\p{Extended_Pictographic}|\ufe0f/gu, '').trim();
  if (R.greeting.test(bare)) return 'greeting';
  const personal = f.hasIdentifier || PERSONAL.test(t);
  const general = !personal && (R.faq.test(t) || QUESTION.test(t)) && DOMAIN.test(t);
  if (R.code.test(t) && (!general || R.codeProblem.test(t))) return 'card_code';
  if ((R.status.test(t) || SIGNALS.notResolved.test(t)) && !general) return 'order_status';
  if (general) return 'faq';
  if (R.thanks.test(t)) return 'thanks';
  if (R.goodbye.test(t) && t.length <= 16) return 'goodbye';
  const timeAboutPayment = f.hasTime && !/天气|几点了|现在几点/.test(t);
  if (f.hasIdentifier || timeAboutPayment || f.hasProductType || f.hasContact) return 'provide_info';
  return 'unknown';
}

/**
 * Intent by rules for zh-CN (the closed set of DESIGN §5), plus the conversational signals the
 * dialogs need (yes / no, "still not solved", "I have no order number", restart, help).
 */

export const INTENTS = [
  'order_status', 'card_code', 'payment_issue', 'refund', 'human_agent', 'complaint',
  'provide_info', 'greeting', 'thanks', 'goodbye', 'faq', 'unknown',
] as const;
export type Intent = (typeof INTENTS)[number];

const R = {
  human: /转人工|人工客服|人工服务|找人工|要人工|真人|活人|客服在吗|接人工|人工$|^人工|叫.{0,3}客服|^找客服|我要找客服|让客服(来|联系)/,
  complaint: /投诉|骗子|骗人|诈骗|举报|黑店|跑路|垃圾(平台|店|客服)|告你们|报警|维权|12315|消协|坑人|太差了/,
  refund: /退款|退钱|退回|退货|能退|可以退|给我退|申请退|退了没|退到哪|退费/,
  payment: /扣款|扣钱|扣费|扣了|被扣|钱扣|重复(支付|付款|扣)|付了两次|扣了两次|两次款|支付失败|付款失败|(付|支付|交)了?(钱|款).{0,8}(未支付|待支付|没支付|不成功|失败)|显示未支付|显示待支付|钱没了|多扣|付款没反应/,
  code: /卡密|激活码|密钥|秘钥|序列号|cdk|兑换码|卡号|卡券|授权码|充值码/i,
  status: /订单|单号|到账|没到|没收到|收不到|没有收到|还没(有)?(发|到|给|来)|查不到|找不到|发货|快递|物流|运单|充值|到了吗|什么时候到|多久到|怎么还没|咋还没|进度|状态|处理中|待处理|不见了|没反应|查一?下|帮我查|看看.*单/,
  faq: /什么是|是什么|区别|有什么不同|怎么(看|查看|用|使用|辨别|判断|区分|申请|联系|操作)|如何|怎样|多久|多长时间|一般要|需要多久|正常吗|为什么|能不能|可以吗|怎么办|靠谱|正规|安全吗|要提供什么|需要什么/,
  greeting: /^(你好|您好|在吗|在不在|hi|hello|哈喽|嗨|有人吗|早上好|晚上好|下午好|喂)[啊呀吗呢!！~。.？?，, ]*$/i,
  thanks: /谢谢|感谢|多谢|thanks|thank you|辛苦了|好的谢|收到了谢/i,
  goodbye: /^(再见|拜拜|bye|88|回头见|先这样|没事了|好了没事)[啊呀吧了!！~。.， ]*$/i,
};

export const SIGNALS = {
  yes: /^(是|是的|对|对的|嗯|嗯嗯|好|好的|可以|行|要|需要|没错|ok|okay|yes|y|确定|确认|麻烦了|好啊|行吧)[啊呀吧的了!！~。.，, ]*$/i,
  no: /^(不|不是|不用|不要|没有|否|no|n|算了|不需要|先不用|暂时不用|不了)[啊呀吧的了!！~。.，, ]*$/i,
  /** A question ("怎么还没到账？") asks for the status again; a bare "还是没到" climbs the ladder. */
  question: /怎么|为什么|为啥|咋|吗|？|\?|什么时候|多久|哪/,
  notResolved: /还是没|还没(到|收到|好|解决|有)|仍然没|依然没|一直没|没用|不行|没解决|还不行|还是不行|等了.{0,8}(还是|也|都)?没|都没(到|收到)|还是查不到|没有用|不管用|解决不了/,
  resolved: /到了|收到了|好了|解决了|可以了|查到了|找到了|没问题了/,
  noOrderNo: /没有?(订单号|单号|订单编号)|不知道(订单号|单号)|找不到(订单号|单号)|忘(了|记)(订单号|单号)|没记(订单号|单号)|订单号(没有|找不到|不知道|忘了)/,
  restart: /^(重新开始|重来|重新来|取消|退出|结束|清空|reset|restart|cancel)[吧了!！。.]*$|重新开始|从头开始/i,
  help: /^(帮助|help|菜单|功能|\?|？|你能做什么|你会什么|你能干什么|能做什么|怎么用你)[!！。.？?]*$/i,
  moneyTaken: /扣款|扣钱|扣了|被扣|钱扣|钱已经|钱都付|付过钱|已经付(了)?钱|钱没了|扣费|付了钱|花了钱|钱付了/,
  saysPaid: /付款了|付了款|付过|已付|已经付|支付了|已支付|已经支付|付钱了|付了|交钱了|买了|下单了/,
  wantsTracking: /快递单号|快递号|运单号|物流单号|物流信息|物流|快递|发货单号|寄出|单号在哪里?看/,
  wantsCode: /卡密|激活码|密钥|秘钥|序列号|cdk|兑换码|卡号|密码/i,
  wantsReveal: /完整|全部显示|看不全|打码|显示全|星号|\*{2,}|怎么(看|查看)(卡密|激活码|密钥)|(给|发)我(卡密|激活码|密钥)|卡密(是多少|发我|在哪)/,
  ticket: /提交工单|提工单|留个?工单|开工单|^工单$/,
  rights: /维权|权益|投诉|12315|交易纠纷|报警|起诉|电子商务法|消协|跑路/,
};

export interface IntentFacts {
  text: string;
  hasIdentifier: boolean;
  hasTime: boolean;
  hasProductType: boolean;
  hasContact: boolean;
}

export function classifyIntent(f: IntentFacts): Intent {
  const t = f.text;
  if (!t) return 'unknown';
  if (R.human.test(t)) return 'human_agent';
  const howToJudge = /辨别|判断|识别|分辨|怎么防|防止|避免|如何防/.test(t) && R.faq.test(t);
  if (R.complaint.test(t) && !howToJudge) return 'complaint';
  if (R.refund.test(t)) return 'refund';
  if (R.payment.test(t)) return 'payment_issue';
  const asksAboutOrder = R.status.test(t) || SIGNALS.notResolved.test(t);
  const generalQuestion = R.faq.test(t) && !f.hasIdentifier && !/我(的|买|付|下单|充)|订单号?[是:]|这个?单|这笔/.test(t);
  if (R.code.test(t) && !generalQuestion) return 'card_code';
  if (asksAboutOrder && !generalQuestion) return 'order_status';
  if (R.faq.test(t) || (R.code.test(t) && generalQuestion)) return 'faq';
  if (R.thanks.test(t)) return 'thanks';
  if (R.goodbye.test(t)) return 'goodbye';
  if (R.greeting.test(t)) return 'greeting';
  const timeAboutPayment = f.hasTime && (/付|买|下单|充|拍|支付|点|分钟|小时|前|号|日/.test(t) || t.length <= 12) && !/天气|几点了|现在几点/.test(t);
  if (f.hasIdentifier || timeAboutPayment || f.hasProductType || f.hasContact) return 'provide_info';
  return 'unknown';
}

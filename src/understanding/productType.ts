/** Product type from the buyer's words. Order matters: the first rule that matches wins. */
import type { ProductType } from '../orders/model.js';

const RULES: Array<[RegExp, ProductType]> = [
  [/实体卡|实物卡|邮寄|寄过来|寄到|包裹|实物/, 'physical_card'],
  [/话费|流量|充话费|手机充值|充值手机|移动|联通|电信|携号|慢充|快充/, 'phone_topup'],
  [/激活码|密钥|秘钥|序列号|授权码|许可证|license|key\b|cdk|windows|win ?1[01]|win ?[78]|office|会员|vip|软件/i, 'software_license'],
  [/q币|qb|点卡|一卡通|游戏卡|steam|钱包码|骏网|盛大|网易|魔兽|王者|和平精英|原神|点券|钻石|游戏币|充值卡|礼品卡|itunes|apple ?id/i, 'game_card'],
  // Asking for a courier is a weak hint: "Q币卡的快递单号" is still a game card.
  [/快递|物流|顺丰|圆通|中通|申通|韵达|京东快递|EMS/i, 'physical_card'],
];

/** Every product word, for stripping them out of a message (see provide_info). */
export const PRODUCT_WORDS = new RegExp(RULES.map(([re]) => re.source).join('|'), 'gi');

export function detectProductType(text: string): ProductType | undefined {
  for (const [re, type] of RULES) if (re.test(text)) return type;
  return undefined;
}

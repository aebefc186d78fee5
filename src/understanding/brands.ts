/**
 * Brands and products buyers name ("steam卡", "Q币", "苹果卡", "移动话费"), as canonical names.
 * The bot compares them with an order's title: a guessed order of another brand is not taken as
 * the one the buyer meant without asking.
 */
const BRANDS: Array<[string, RegExp]> = [
  ['steam', /steam|蒸汽/i],
  ['qq', /q币|qb|q点|qq币|腾讯币/i],
  ['netease', /网易|一卡通/],
  ['junnet', /骏网|jcard/i],
  ['apple', /app\s*store|apple|苹果|itunes|ios充值/i],
  ['xbox', /xbox/i],
  ['playstation', /psn|playstation|ps5|ps4/i],
  ['nintendo', /nintendo|任天堂|switch|eshop/i],
  ['jd', /京东|e卡/i],
  ['cmcc', /移动/],
  ['unicom', /联通/],
  ['telecom', /电信/],
  ['adobe', /adobe|photoshop|\bps\b/i],
  ['microsoft', /office|microsoft|微软|windows|win10|win11/i],
  ['iqiyi', /爱奇艺/],
  ['tencent_video', /腾讯视频/],
  ['youku', /优酷/],
  ['genshin', /原神|米哈游/],
  ['honor_of_kings', /王者|点券/],
  ['blizzard', /暴雪|战网|blizzard|battle\.net/i],
  ['google', /google\s*play|谷歌/i],
];

/** The brands a text names, canonical, in order of the list. */
export function brandsIn(text: string): string[] {
  return BRANDS.filter(([, re]) => re.test(text)).map(([name]) => name);
}

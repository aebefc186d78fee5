/**
 * Optional rephrasing of the bot's own replies (LLM_REPHRASE). The model never sees a fact and never
 * writes one: every order number, status, time, date, amount, count, link, contact and command the
 * template holds is cut out into a numbered placeholder ({1}, {2}…) before the text goes to the model,
 * and code puts them back. A deterministic check stands between the model's text and the buyer: each
 * placeholder exactly once, and outside them no digit, Latin letter, amount, date, time word, link,
 * status word (已发货, 已退款, 已到账, 赔偿…) or promise word. On any doubt the template goes out.
 */
import { HOLD_LABEL, STATUS_LABEL } from '../replies/labels.js';
import type { LlmClient } from './client.js';

/** Words that state an order's state or a remedy: only ever from the template. */
const STATUS_WORDS = [
  ...new Set([
    ...Object.values(STATUS_LABEL),
    ...Object.values(HOLD_LABEL),
    '已到账',
    '已签收',
    '已付款',
    '未付款',
    '未支付',
    '已关闭',
    '已处理',
    '已解决',
    '已提交',
    '已撤销',
    '已冻结',
    '已解冻',
    '已补发',
    '已重发',
    '已审核',
    '已通过',
    '到账了',
    '发货了',
    '退款了',
    '退了',
    '退回',
    '原路退',
    '充值成功',
    '充值失败',
    '支付成功',
    '发货成功',
    '退款成功',
    '审核通过',
    '审核中',
    '发货中',
    '充值中',
    '待发货',
    '派送中',
    '运输中',
    '赔偿',
    '补偿',
    '赔付',
    '返现',
    '红包',
    '优惠券',
    '免单',
    '全额',
    '双倍',
    '冻结',
    '解冻',
    '封号',
    '风控',
  ]),
].sort((a, b) => b.length - a.length);

/** Words that promise or place in time: only ever from the template. */
const TIME_WORDS = [
  '今天',
  '明天',
  '后天',
  '昨天',
  '前天',
  '今晚',
  '今早',
  '明早',
  '明晚',
  '昨晚',
  '今日',
  '明日',
  '上午',
  '下午',
  '中午',
  '晚上',
  '凌晨',
  '早上',
  '傍晚',
  '夜里',
  '半夜',
  '工作日',
  '节假日',
  '周末',
  '本周',
  '下周',
  '月底',
  '月初',
  '最晚',
  '最迟',
  '之内',
  '以内',
  '马上',
  '立即',
  '立刻',
  '随时',
  '稍后',
  '很快',
  '尽快',
  '当天',
  '次日',
  '隔天',
  '保证',
  '一定',
  '肯定',
  '承诺',
  '百分百',
  '绝对',
  '必须',
].sort((a, b) => b.length - a.length);

const CN_NUMBER = '[零〇一二两三四五六七八九十百千万半几]+';
const UNITS = '(?:个)?(?:小时|钟头|分钟|分|秒|天|日|号|月|年|周|星期|点|时|元|块|角|毛|位|笔|单|张|件|次|份|个工作日|工作日)';
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What is a fact in a reply: cut out of the template, never written by the model. */
const FACT = new RegExp(
  [
    'https?://\\S+',
    `(?:[¥￥$]\\s?)?[A-Za-z0-9][A-Za-z0-9_.:/@+*#%\\-]*(?:\\s?${UNITS})?`,
    `${CN_NUMBER}${UNITS}`,
    `周[一二三四五六日天]|星期[一二三四五六日天]`,
    '“[^”]{1,20}”|「[^」]{1,20}」|【[^】]{1,40}】|"[^"]{1,20}"',
    ...STATUS_WORDS.map(escapeRe),
    ...TIME_WORDS.map(escapeRe),
  ].join('|'),
  'gu',
);

/** The facts a text states (numbers with their units, times, statuses, links, quoted commands). */
export function factsIn(text: string): string[] {
  return text.match(FACT) ?? [];
}

/** Outside placeholders, any of these in the model's text is a fact it made up. */
const FORBIDDEN = new RegExp(
  [
    `[A-Za-z0-9０-９¥￥$%]`,
    `${CN_NUMBER}${UNITS}`,
    '周[一二三四五六日天]|星期[一二三四五六日天]',
    '[“”「」【】"]',
    ...STATUS_WORDS.map(escapeRe),
    ...TIME_WORDS.map(escapeRe),
    '您',
  ].join('|'),
  'u',
);

/** A rewrite may not add a claim about the order, nor drop or add a negation (不会到账 ≠ 会到账). */
const CLAIMS = [
  '到账',
  '到了',
  '发货',
  '发出',
  '发给',
  '退款',
  '退回',
  '退钱',
  '补发',
  '重发',
  '充上',
  '充好',
  '成功',
  '失败',
  '收到',
  '签收',
  '冻结',
  '取消',
  '审核',
  '赔',
  '补偿',
  '处理好',
  '解决',
  '完成',
  '好了',
];
const NEGATION = /[不没未别无非勿]/g;
const count = (s: string, w: string | RegExp) => (typeof w === 'string' ? s.split(w).length - 1 : (s.match(w) ?? []).length);

export interface Template {
  text: string;
  facts: string[];
}

/** A paragraph with a layout (a header "订单 …｜…", a timeline, numbered steps, a list) is one fact. */
const STRUCTURED = /｜|^\s*(?:[✔➤○✗·•*-]|\d+[.、)])|[:：]\s*$/mu;

/** Cuts every fact out of a reply: "订单 {1} {2}，预计 {3} 前到账" with the facts in order. */
export function toTemplate(reply: string): Template {
  const facts: string[] = [];
  const cut = (m: string) => {
    facts.push(m);
    return `{${facts.length}}`;
  };
  const text = reply
    .split('\n\n')
    .map((p) => (STRUCTURED.test(p) ? cut(p) : p.replace(FACT, cut)))
    .join('\n\n');
  return { text, facts };
}

export type Verdict = { ok: true; text: string } | { ok: false; why: string };

/** The deterministic check, then the facts put back. */
export function checkAndFill(t: Template, candidate: unknown): Verdict {
  if (typeof candidate !== 'string') return { ok: false, why: 'not text' };
  const out = candidate.normalize('NFC').trim();
  if (!out) return { ok: false, why: 'empty' };
  const plain = t.text.replace(/\{\d+\}/g, '');
  const bare = out.replace(/\{\d+\}/g, '');
  if (bare.length > plain.length * 1.5 + 20 || bare.length < plain.length * 0.4) return { ok: false, why: 'length' };
  const used = [...out.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1]));
  for (let i = 1; i <= t.facts.length; i++) if (used.filter((n) => n === i).length !== 1) return { ok: false, why: `placeholder {${i}}` };
  if (used.length !== t.facts.length) return { ok: false, why: 'unknown placeholder' };
  // Facts stay apart from the words around them: "发货{2}了" is not "发货了".
  const stray = FORBIDDEN.exec(out.replace(/\{\d+\}/g, '|').replace(/[{}]/g, ''));
  if (stray) return { ok: false, why: `stray "${stray[0]}"` };
  // A unit the model put next to one of our numbers ("{3}个小时") changes the number's meaning.
  const after = (x: string) => new Map([...x.matchAll(new RegExp(`\\{(\\d+)\\}\\s?(${UNITS})?`, 'gu'))].map((m) => [m[1], m[2] ?? '']));
  const was = after(t.text);
  for (const [n, unit] of after(out)) if (was.get(n) !== unit) return { ok: false, why: 'unit' };
  if (count(bare, NEGATION) !== count(plain, NEGATION)) return { ok: false, why: 'negation' };
  const claim = CLAIMS.find((w) => count(bare, w) > count(plain, w));
  if (claim) return { ok: false, why: `claim "${claim}"` };
  // Paragraphs the template keeps apart (a timeline, the self-check steps) stay apart.
  if ((out.match(/\n/g) ?? []).length < (t.text.match(/\n\n/g) ?? []).length) return { ok: false, why: 'layout' };
  return { ok: true, text: out.replace(/\{(\d+)\}/g, (_, n: string) => t.facts[Number(n) - 1]!) };
}

const SYSTEM = `你在帮一家卖游戏点卡、话费充值、软件激活码的网店润色客服回复。把用户给的回复改写得更自然、更简短，像一位耐心的真人客服在微信上打字：称呼用“你”，不用“您”，不用客套话堆砌。
规则（违反任何一条，你的改写都会被丢弃）：
- {1}、{2} 这样的占位符代表订单号、时间、金额、状态、按钮文字等事实：每个必须原样保留、恰好出现一次，可以调整位置；
- 不得新增任何数字、字母、日期、时间词（今天、明天、最晚、马上…）、金额、链接、单号或订单状态词（已发货、已退款、已到账…），不得承诺原文没有的事（赔偿、补偿、保证…）；
- 原文分段的地方保留换行；意思不能变，不能删掉任何一步建议。
只输出一个 JSON 对象：{"text": "改写后的回复"}`;

/** Rephrases one reply within `budgetMs`; the template itself on any failure or doubt. */
export async function rephrase(client: LlmClient, reply: string, budgetMs: number): Promise<{ text: string; used: boolean; why?: string }> {
  if (client.unavailable || budgetMs < 300) return { text: reply, used: false, why: 'no time' };
  const t = toTemplate(reply);
  if (t.text.replace(/\{\d+\}|[\s\p{P}]/gu, '').length < 6) return { text: reply, used: false, why: 'too short' };
  const r = await client.json(
    [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: t.text },
    ],
    { budgetMs, maxTokens: 600 },
  );
  if (!r.ok) return { text: reply, used: false, why: r.reason };
  const v = checkAndFill(t, (r.value as { text?: unknown }).text);
  return v.ok ? { text: v.text, used: true } : { text: reply, used: false, why: v.why };
}

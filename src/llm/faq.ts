/**
 * FAQ answers grounded in knowledge/: our retrieval picks the articles, the model answers the
 * buyer's question only from them and names the one it used. Code checks the answer: the article
 * must be one we retrieved, and every number, time word, status word, link and quoted command in
 * the answer must be in that article's own text. Nothing retrieved: the model is not asked (the bot
 * says it has no answer and offers the ladder, as without a model); any doubt: the article itself.
 */
import type { Hit } from '../knowledge/index.js';
import type { LlmClient } from './client.js';
import { factsIn } from './rephrase.js';
import { redact } from './understand.js';

const SYSTEM = `你是一家卖游戏点卡、话费充值、软件激活码的网店的客服。只根据给你的知识库文章回答买家的问题，用你的话简短回答（三句以内），称呼用“你”。
- 只能使用文章里写了的信息；文章里没有的数字、时间、金额、状态、链接、承诺一律不能写；
- 买家问的是他自己某笔订单的具体情况（到没到、为什么）时，不要猜，article 填 null；
- 文章都答不了这个问题时，article 填 null。
只输出一个 JSON 对象：{"article": 用到的文章 id 或 null, "answer": "回答"}`;

export type Grounded = { ok: true; article: Hit['article']; answer: string } | { ok: false; why: string };

/** The deterministic check: a retrieved article, and nothing in the answer that article does not say. */
export function checkGrounded(hits: Hit[], value: unknown): Grounded {
  const v = value as { article?: unknown; answer?: unknown } | undefined;
  if (!v || typeof v !== 'object') return { ok: false, why: 'shape' };
  if (v.article === null || v.article === undefined) return { ok: false, why: 'none applies' };
  const hit = hits.find((h) => h.article.id === v.article);
  if (!hit) return { ok: false, why: 'not a retrieved article' };
  if (typeof v.answer !== 'string') return { ok: false, why: 'no answer' };
  const answer = v.answer.normalize('NFC').trim();
  if (answer.length < 4 || answer.length > 300) return { ok: false, why: 'length' };
  if (answer.includes('您')) return { ok: false, why: 'style' };
  const source = `${hit.article.title}\n${hit.article.body}`.normalize('NFKC');
  const foreign = factsIn(answer).find((f) => !source.includes(f.normalize('NFKC').replace(/\s+/g, '')) && !source.includes(f.normalize('NFKC')));
  if (foreign) return { ok: false, why: `not in the article: "${foreign}"` };
  return { ok: true, article: hit.article, answer };
}

/** Asks the model to answer from the retrieved articles, within `budgetMs`. */
export async function groundedAnswer(client: LlmClient, question: string, hits: Hit[], budgetMs: number): Promise<Grounded> {
  if (hits.length === 0) return { ok: false, why: 'nothing retrieved' };
  if (client.unavailable || budgetMs < 300) return { ok: false, why: 'no time' };
  const articles = hits.slice(0, 3).map((h) => ({ id: h.article.id, title: h.article.title, body: h.article.body.slice(0, 1500) }));
  const r = await client.json(
    [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: JSON.stringify({ 文章: articles, 买家的问题: redact(question).slice(0, 300) }) },
    ],
    { budgetMs, maxTokens: 400 },
  );
  if (!r.ok) return { ok: false, why: r.reason };
  return checkGrounded(hits, r.value);
}

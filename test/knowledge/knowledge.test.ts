import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KnowledgeBase, loadArticles } from '../../src/knowledge/index.js';
import { CAUSES } from '../../src/diagnosis/index.js';

const dir = path.resolve('knowledge');
const kb = new KnowledgeBase();
kb.index(dir);

describe('knowledge base', () => {
  it('has at least 12 well-formed articles, and every cause is explained by one', () => {
    const articles = loadArticles(dir);
    expect(articles.length).toBeGreaterThanOrEqual(12);
    for (const a of articles) {
      expect(a.title.length).toBeGreaterThan(4);
      expect(a.body.length).toBeGreaterThan(80);
    }
    for (const c of CAUSES) expect(kb.forCause(c), c).toBeDefined();
  });

  it.each([
    ['卡密和订单号有什么区别', 'identifiers'],
    ['话费一般多久到账', 'wait-times'],
    ['怎么辨别卡盟是不是骗子', 'anti-fraud'],
    ['联系客服要提供什么', 'contact-support'],
    ['退款多久能到账', 'refund'],
    ['订单显示待处理是什么意思', 'risk-hold'],
    ['扣了两次款怎么办', 'double-charge'],
    ['卡密被打码了看不全', 'card-code-masked'],
  ])('%s → %s', (q, id) => {
    const hits = kb.search(q);
    expect(hits.map((h) => h.article.id)).toContain(id);
    expect(hits[0]?.article.id).toBe(id);
  });

  it('finds nothing for unrelated questions rather than a wrong answer', () => {
    expect(kb.search('今天天气怎么样')).toEqual([]);
    expect(kb.search('')).toEqual([]);
    expect(kb.search('"; DROP TABLE knowledge_fts; --')).toEqual([]);
  });
});

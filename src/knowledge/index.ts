/**
 * Retrieval over knowledge/*.md with SQLite FTS5 (trigram tokenizer). Chinese has no spaces, so a
 * query becomes the OR of its character trigrams; candidates are re-scored by keyword hits and
 * trigram coverage, and a minimum score keeps weak matches out ("I don't know" beats a wrong answer).
 */
import fs from 'node:fs';
import path from 'node:path';
import matter from 'gray-matter';
import type { Db } from '../storage/db.js';

export interface Article {
  id: string;
  title: string;
  keywords: string[];
  causes: string[];
  body: string;
  file: string;
}

export interface Hit {
  article: Article;
  score: number;
}

const FILLER = /请问|你好|您好|我想问|想问一下|一下|怎么办|怎么样|为什么|是什么|什么|怎么|如何|怎样|多久|吗|呢|啊|呀|吧|了|的|是|我|你们|你|这个|那个|一般|可以|能不能|能|会|要|有没有|有/g;

export function loadArticles(dir: string): Article[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => {
      const { data, content } = matter(fs.readFileSync(path.join(dir, f), 'utf8'));
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
      return {
        id: String(data.id ?? path.basename(f, '.md')),
        title: String(data.title ?? f),
        keywords: list(data.keywords),
        causes: list(data.causes),
        body: content.trim(),
        file: f,
      };
    });
}

function trigrams(s: string): string[] {
  const out = new Set<string>();
  for (const seg of s.split(/[^\p{Script=Han}A-Za-z0-9]+/u)) {
    const chars = [...seg];
    for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(''));
  }
  return [...out];
}

export class KnowledgeBase {
  private readonly byId = new Map<string, Article>();

  constructor(private readonly db: Db) {}

  /** Replaces the index with the articles in `dir`. */
  index(dir: string): number {
    const articles = loadArticles(dir);
    this.db.transaction(() => {
      this.db.exec('DELETE FROM knowledge_articles; DELETE FROM knowledge_fts;');
      const a = this.db.prepare('INSERT INTO knowledge_articles (id, title, keywords, causes, body, file) VALUES (?, ?, ?, ?, ?, ?)');
      const f = this.db.prepare('INSERT INTO knowledge_fts (id, title, keywords, body) VALUES (?, ?, ?, ?)');
      for (const art of articles) {
        a.run(art.id, art.title, JSON.stringify(art.keywords), JSON.stringify(art.causes), art.body, art.file);
        f.run(art.id, art.title, art.keywords.join(' '), art.body);
      }
    })();
    this.byId.clear();
    for (const art of articles) this.byId.set(art.id, art);
    return articles.length;
  }

  get size(): number {
    return this.byId.size;
  }

  forCause(cause: string): Article | undefined {
    for (const a of this.byId.values()) if (a.causes[0] === cause) return a;
    for (const a of this.byId.values()) if (a.causes.includes(cause)) return a;
    return undefined;
  }

  search(query: string, limit = 3): Hit[] {
    const focused = query.replace(FILLER, ' ');
    const grams = trigrams(focused);
    const candidates = new Set<string>();
    if (grams.length > 0) {
      const match = grams.slice(0, 64).map((g) => `"${g.replace(/"/g, '""')}"`).join(' OR ');
      const rows = this.db
        .prepare('SELECT id FROM knowledge_fts WHERE knowledge_fts MATCH ? ORDER BY bm25(knowledge_fts, 0, 5, 3, 1) LIMIT 8')
        .pluck()
        .all(match) as string[];
      rows.forEach((id) => candidates.add(id));
    }
    // Two-character keywords (退款, 卡密…) are below the trigram length: match them directly.
    for (const a of this.byId.values()) if (a.keywords.some((k) => k.length >= 2 && focused.includes(k))) candidates.add(a.id);

    const hits: Hit[] = [];
    for (const id of candidates) {
      const a = this.byId.get(id);
      if (!a) continue;
      const kw = a.keywords.filter((k) => focused.includes(k)).reduce((s, k) => s + k.length, 0);
      const inTitle = grams.filter((g) => a.title.includes(g)).length;
      const inBody = grams.filter((g) => a.body.includes(g)).length;
      const coverage = grams.length ? (inTitle + inBody) / (2 * grams.length) : 0;
      const score = kw * 1.5 + inTitle * 2 + inBody * 0.5 + coverage * 4;
      if (kw >= 4 || inTitle >= 2 || (kw >= 2 && inBody >= 1) || coverage >= 0.35) hits.push({ article: a, score });
    }
    return hits.sort((x, y) => y.score - x.score).slice(0, limit);
  }
}

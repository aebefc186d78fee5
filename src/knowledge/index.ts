/**
 * Retrieval over knowledge/*.md, in memory (static files: each instance builds its own at start).
 * Chinese has no spaces, so a query's trigrams rank articles (BM25 per field), and character
 * bigrams (most Chinese words are two characters) measure coverage; an article must match in its title or keywords and cover half the
 * question, which keeps weak matches out ("I don't know" beats a wrong answer).
 */
import fs from 'node:fs';
import path from 'node:path';
import matter from 'gray-matter';

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

const FILLER = /请问|你好|您好|我想问|想问一下|一下|怎么办|怎么样|为什么|是什么|什么|怎么|如何|怎样|吗|呢|啊|呀|吧|了|的|是|我|你们|你|这个|那个|一般|可以|能不能|有没有|意思/g;

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

function ngrams(s: string, n: number): string[] {
  const out = new Set<string>();
  for (const seg of s.toLowerCase().split(/[^\p{Script=Han}a-z0-9]+/u)) {
    const chars = [...seg];
    for (let i = 0; i + n <= chars.length; i++) out.add(chars.slice(i, i + n).join(''));
  }
  return [...out];
}

export class KnowledgeBase {
  private readonly byId = new Map<string, Article>();

  /** Replaces the index with the articles in `dir` (static files: each instance builds its own, in memory). */
  index(dir: string): number {
    const articles = loadArticles(dir);
    this.byId.clear();
    this.dfCache.clear();
    for (const art of articles) this.byId.set(art.id, art);
    this.fields = articles.map((a) => ({ id: a.id, cols: [a.title, a.keywords.join(' '), a.body].map((c) => c.toLowerCase()) }));
    this.avgLen = [0, 1, 2].map((i) => this.fields.reduce((n, f) => n + [...f.cols[i]!].length, 0) / Math.max(1, this.fields.length));
    return articles.length;
  }

  private fields: Array<{ id: string; cols: string[] }> = [];
  private avgLen: number[] = [1, 1, 1];

  /**
   * Articles that share phrases (trigrams) with the question, best first: BM25 per field (title,
   * keywords, body weighted 5, 3, 1), a trigram counting wherever it occurs as a substring.
   */
  private trigramRank(grams: string[]): string[] {
    const weights = [5, 3, 1];
    const k1 = 1.2;
    const b = 0.75;
    const n = this.fields.length;
    const occurrences = (hay: string, needle: string) => {
      let count = 0;
      for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) count++;
      return count;
    };
    const idf = new Map<string, number>();
    for (const g of grams) {
      const df = this.fields.filter((x) => x.cols.some((c) => c.includes(g))).length;
      if (df > 0) idf.set(g, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
    }
    const scored: Array<{ id: string; score: number }> = [];
    for (const f of this.fields) {
      let score = 0;
      for (const [g, w] of idf) {
        f.cols.forEach((col, i) => {
          const tf = occurrences(col, g);
          if (tf > 0) score += weights[i]! * w * ((tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * [...col].length) / this.avgLen[i]!)));
        });
      }
      if (score > 0) scored.push({ id: f.id, score });
    }
    return scored.sort((x, y) => y.score - x.score).map((x) => x.id);
  }

  private readonly dfCache = new Map<string, number>();

  /** In how many articles a bigram occurs. */
  private df(gram: string): number {
    let n = this.dfCache.get(gram);
    if (n === undefined) {
      n = 0;
      for (const a of this.byId.values()) if (a.title.includes(gram) || a.keywords.join(' ').includes(gram) || a.body.includes(gram)) n++;
      this.dfCache.set(gram, n);
    }
    return n;
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
    const grams = ngrams(focused, 2);
    if (grams.length === 0) return [];
    // Trigrams rank the articles that share longer phrases with the question.
    const tri = ngrams(focused, 3);
    const ftsRank = new Map<string, number>();
    if (tri.length > 0) for (const [i, id] of this.trigramRank(tri.slice(0, 64)).slice(0, 8).entries()) ftsRank.set(id, i);
    // Bigram overlap covers what trigrams miss (Chinese words are mostly two characters).
    const hits: Hit[] = [];
    for (const a of this.byId.values()) {
      const keywords = a.keywords.join(' ');
      let head = 0;
      let body = 0;
      let covered = 0;
      for (const g of grams) {
        // Rare bigrams say more about the topic than ones every article uses (IDF weight).
        const weight = Math.log(1 + this.byId.size / (1 + this.df(g)));
        const inHead = a.title.includes(g) || keywords.includes(g);
        const inBody = a.body.includes(g);
        if (inHead) head += weight;
        if (inBody) body += weight;
        if (inHead || inBody) covered++;
      }
      const coverage = covered / grams.length;
      if (head === 0 || coverage < 0.5) continue;
      const exactKeywords = a.keywords.filter((k) => focused.includes(k)).length;
      const rank = ftsRank.get(a.id);
      const score = head * 3 + body + exactKeywords * 2 + coverage * 4 + (rank === undefined ? 0 : 3 - rank * 0.3);
      hits.push({ article: a, score });
    }
    return hits.sort((x, y) => y.score - x.score).slice(0, limit);
  }
}

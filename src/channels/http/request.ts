/**
 * Reading what a request carries without letting it throw. JSON request bodies for every endpoint: express.json with a size limit, plus a bound on nesting.
 * JSON.parse copes with any depth, but what we do next (JSON.stringify into SQLite, zod, spreading)
 * recurses: 30,000 nested arrays in one activity would overflow the stack. Deeper bodies are
 * refused with 400 before any handler sees them.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

export const MAX_JSON_DEPTH = 32;

/** True when no object or array in `value` is nested deeper than `max` levels (iterative: no recursion). */
export function withinDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return true;
}

/** An error the routers' error handlers answer with 400, like a parse failure. */
export class TooDeepError extends Error {
  readonly status = 400;
  readonly type = 'entity.too.deep';
  constructor(max: number) {
    super(`JSON nested deeper than ${max} levels`);
  }
}

/** express.json({limit}) followed by the depth check. */
export function jsonBody(opts: { limit: string; maxDepth?: number }): RequestHandler {
  const parse = express.json({ limit: opts.limit });
  const max = opts.maxDepth ?? MAX_JSON_DEPTH;
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (req.body !== undefined && !withinDepth(req.body, max)) return next(new TooDeepError(max));
      next();
    });
  };
}

/** decodeURIComponent that answers undefined instead of throwing on a malformed escape ("%", "%zz"). */
export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** The path and query of a request URL, or undefined when it cannot be parsed ("//["). */
export function requestUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

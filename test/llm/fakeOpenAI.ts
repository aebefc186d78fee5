/**
 * A local fake of an OpenAI-compatible Chat Completions endpoint, speaking the real wire format:
 * `choices[0].message.content` (JSON mode), fenced or tool-call answers, `refusal`, finish reasons
 * (`length`, `content_filter`, GLM's `sensitive`), 429 with `retry-after`, 500s with error bodies,
 * slow replies, blank content (as DeepSeek sometimes returns) and Qwen's 400 when no message says
 * "json". Each test scripts what it answers.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

export interface FakeRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  response_format?: { type: string };
  max_tokens?: number;
}
export type Behaviour = (req: FakeRequest, n: number) => FakeReply | Promise<FakeReply>;
export interface FakeReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** A normal completion whose message content is `content`. */
export const completion = (content: string | null, extra: { finish?: string; refusal?: string; toolArgs?: string; usage?: [number, number] } = {}): FakeReply => ({
  body: {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1764600000,
    model: 'fake-model',
    choices: [
      {
        index: 0,
        finish_reason: extra.finish ?? (extra.toolArgs ? 'tool_calls' : 'stop'),
        message: {
          role: 'assistant',
          content,
          refusal: extra.refusal ?? null,
          ...(extra.toolArgs ? { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'reading', arguments: extra.toolArgs } }] } : {}),
        },
      },
    ],
    usage: { prompt_tokens: extra.usage?.[0] ?? 120, completion_tokens: extra.usage?.[1] ?? 30, total_tokens: (extra.usage?.[0] ?? 120) + (extra.usage?.[1] ?? 30) },
  },
});
export const json = (value: unknown, extra: Parameters<typeof completion>[1] = {}) => completion(JSON.stringify(value), extra);
export const error = (status: number, message: string, headers: Record<string, string> = {}): FakeReply => ({
  status,
  headers,
  body: { error: { message, type: 'invalid_request_error', code: null } },
});

export async function fakeOpenAI(initial: Behaviour = () => json({ intent: 'unknown' })) {
  let behaviour = initial;
  const requests: FakeRequest[] = [];
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/v1/chat/completions', async (req, res) => {
    const body = req.body as FakeRequest;
    requests.push(body);
    const r = await behaviour(body, requests.length);
    if (r.delayMs) await new Promise((ok) => setTimeout(ok, r.delayMs));
    if (res.destroyed || res.writableEnded) return;
    res
      .status(r.status ?? 200)
      .set(r.headers ?? {})
      .json(r.body ?? {});
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    set(b: Behaviour) {
      behaviour = b;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(ok));
    },
  };
}

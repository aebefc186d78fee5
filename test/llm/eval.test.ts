/**
 * `npm run eval` measures a shop's own provider: with LLM_* set the scenarios are read by that
 * model, and `--repeat K` counts a scenario only when all K runs pass (pass^k).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fakeOpenAI, json } from './fakeOpenAI.js';

type Fake = Awaited<ReturnType<typeof fakeOpenAI>>;
let fake: Fake;
let dir: string;
beforeAll(async () => {
  fake = await fakeOpenAI();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-eval-'));
  fs.writeFileSync(
    path.join(dir, 'person.json'),
    JSON.stringify({
      name: 'asks for a person in words the rules do not know',
      now: '2026-11-23T15:00:00+08:00',
      orders: [],
      turns: [{ user: '能不能换个活人来跟我聊', expect: { intent: 'human_agent' } }],
    }),
  );
});
afterAll(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function evalCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/eval/cli.ts', ...args], { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

const withModel = () => ({ LLM_BASE_URL: fake.base, LLM_MODEL: 'fake-model', LLM_API_KEY: 'sk-test' });

it('reads with the configured model', async () => {
  fake.set(() => json({ intent: 'human_agent', signals: { wantsPerson: true } }));
  const before = fake.requests.length;
  const r = await evalCli([dir], withModel());
  expect(r.out).toContain('reading with LLM fake-model');
  expect(r.out).toContain('1 passed, 0 failed');
  expect(r.code).toBe(0);
  expect(fake.requests.length).toBeGreaterThan(before);
}, 60_000);

it('--repeat K counts a scenario only when every run passes', async () => {
  let calls = 0;
  // Right on the first call, wrong on the second: pass^1 holds, pass^2 does not.
  fake.set(() => json({ intent: ++calls % 2 === 1 ? 'human_agent' : 'faq' }));
  const r = await evalCli([dir, '--repeat', '2'], withModel());
  expect(r.out).toContain('runs: 1 of 2 passed');
  expect(r.out).toContain('0 passed, 1 failed (pass^2)');
  expect(r.code).toBe(1);
}, 60_000);

it('refuses a nonsense --repeat', async () => {
  const r = await evalCli([dir, '--repeat', 'x'], {});
  expect(r.code).toBe(2);
  expect(r.out).toContain('usage');
}, 60_000);

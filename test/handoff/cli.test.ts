/**
 * npm run agent, at a real terminal (util-linux `script` gives it one): a password that is too
 * short is refused before the second prompt, and nothing is stored.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/app.js';

const hasScript = fs.existsSync('/usr/bin/script');

/** Runs the CLI under a pseudo-terminal, typing each answer once its prompt has appeared. */
function runAtTerminal(args: string, answers: string[], env: Record<string, string>): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} --import tsx src/handoff/cli.ts ${args}`, '/dev/null'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
    });
    let out = '';
    let prompts = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const seen = (out.match(/password \(at least|again: /g) ?? []).length;
      while (prompts < seen && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
  });
}

describe.skipIf(!hasScript)('npm run agent -- add', () => {
  it('says a password is too short before asking for it again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-cli-'));
    try {
      const { out, code } = await runAtTerminal('add bob --name 小博', ['short', 'short'], { DATABASE_FILE: path.join(dir, 'db.sqlite'), DEMO_SEED: 'false', AGENT_PASSWORD: '' });
      expect(code).toBe(1);
      expect(out).toContain('at least 8 characters');
      expect(out).not.toContain('again:');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the account after the password is typed twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-cli-'));
    try {
      const { out, code } = await runAtTerminal('add bob --name 小博', ['long enough pw', 'long enough pw'], {
        DATABASE_FILE: path.join(dir, 'db.sqlite'),
        DEMO_SEED: 'false',
        AGENT_PASSWORD: '',
      });
      expect(code).toBe(0);
      expect(out).toContain('created agent bob');
      expect(out).not.toContain('long enough pw'); // typed without echo
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * npm run chat as a newcomer uses it: with the bot running it is a Direct Line client of that
 * server (the same agents, the same demo orders); without one it runs the bot in-process and says
 * what that means. Either way the demo orders come as a table with the causes in Chinese.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { createServer } from '../../src/server.js';
import { makeApp, order, serve, shutdown } from '../helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-term-'));

function chat(env: Record<string, string>, input: string[], waitMs = 6000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/channels/terminal/repl.ts'], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    for (const line of input) child.stdin.write(`${line}\n`);
    const timer = setTimeout(() => child.stdin.end('/quit\n'), waitMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), waitMs + 20_000);
    child.on('exit', () => {
      clearTimeout(timer);
      clearTimeout(kill);
      resolve(out);
    });
    child.on('error', reject);
  });
}

describe('npm run chat', () => {
  let app: App;
  let server: import('node:http').Server;
  let port = '';
  beforeAll(async () => {
    app = await makeApp({ file: path.join(dir, 'bot.sqlite'), orders: [order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' })] });
    server = await createServer(app);
    port = new URL(await serve(server)).port;
  });
  afterAll(async () => {
    await shutdown(server);
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('talks to the running server when there is one', async () => {
    const out = await chat({ PORT: port, DATABASE_FILE: path.join(dir, 'other.sqlite') }, ['K7QX9ZP2M4RT8WNA']);
    expect(out).toContain('已连接正在运行的订单助手');
    expect(out).toContain('演示订单');
    expect(out).toContain('同步延迟（正常等待内）');
    expect(out).not.toMatch(/（(not_paid|sync_delay|delivered)）/);
    expect(out).toContain('订单 K7QX9ZP2M4RT8WNA');
  }, 60_000);

  it('runs the bot in-process when nothing is running, and says so', async () => {
    const out = await chat({ PORT: '9', DATABASE_FILE: path.join(dir, 'alone.sqlite') }, ['你好']);
    expect(out).toContain('机器人在本进程里运行');
    expect(out).toContain('演示订单');
    expect(out).not.toMatch(/（(not_paid|sync_delay|delivered)）/);
  }, 60_000);
});

/**
 * Debian's chromium, driven by playwright-core, headless (as .ci/run installs it), and what every
 * browser test needs: a bot on a real port with its browser, an agent signing in to the console,
 * a buyer opening the chat and typing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { afterAll, expect } from 'vitest';
import type { App } from '../../src/app.js';
import type { DemoOrderRecord } from '../../src/orders/demo/demoOrderService.js';
import { createServer } from '../../src/server.js';
import { makeApp, serve, shutdown } from '../helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
/** The password the browser tests give their agents. */
export const AGENT_PASSWORD = 'correct horse battery';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/**
 * A bot with `orders` (and `env`) on a throwaway SQLite file, serving on an ephemeral port, its agents
 * (user name → display name, all with AGENT_PASSWORD), and Chromium; all of it closed after the file.
 */
export async function browserBed(
  name: string,
  opts: { orders?: DemoOrderRecord[]; agents?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<{ app: App; base: string; browser: Browser }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kamen-${name}-`));
  const app = await makeApp({ file: path.join(dir, 'bot.sqlite'), orders: opts.orders, env: opts.env });
  for (const [username, displayName] of Object.entries(opts.agents ?? {})) await app.agents.create(username, displayName, AGENT_PASSWORD);
  const server = await createServer(app);
  const base = await serve(server);
  const browser = await launchChromium();
  afterAll(async () => {
    await browser.close();
    await shutdown(server);
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { app, base, browser };
}

/**
 * Opens the console and signs in (unless the page's session already has; the page asks /me first
 * and only then shows the form or the desk), then waits until the socket says who is online.
 */
export async function signInAgent(page: Page, base: string, username: string, opts: { password?: string; online?: string } = {}): Promise<void> {
  await page.goto(`${base}/agent`);
  await expect.poll(() => page.locator('#login:not([hidden]), #desk:not([hidden])').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  if (await page.getByLabel('账号').isVisible()) {
    await page.getByLabel('账号').fill(username);
    await page.getByLabel('密码').fill(opts.password ?? AGENT_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
  }
  await expect.poll(() => page.locator('#presence').innerText(), { timeout: 30_000 }).toContain(opts.online ?? '在线客服');
}

export interface OpenChat {
  chat: Locator;
  input: Locator;
  /** Sends a message and waits for nothing (a buyer talking to an agent). */
  send(text: string): Promise<void>;
  /**
   * Sends a message; waits until the conversation contains `answer` (text or pattern), or, without
   * one, until the bot has answered (one bubble more than the message itself).
   */
  says(text: string, answer?: string | RegExp): Promise<void>;
}

/** Opens the chat from its launcher on the page as it is (go to the page first) and waits for the welcome. */
export async function openChat(page: Page): Promise<OpenChat> {
  await page.locator('#chat-toggle').click();
  const chat = page.locator('#webchat');
  const input = page.locator('[data-id="webchat-sendbox-input"]');
  await expect.poll(() => chat.innerText(), { timeout: 20_000 }).toContain('订单助手');
  const bubbles = page.locator('.webchat__bubble__content');
  const send = async (text: string) => {
    await input.fill(text);
    await input.press('Enter');
  };
  const says = async (text: string, answer?: string | RegExp) => {
    const before = await bubbles.count();
    await send(text);
    if (answer === undefined) await expect.poll(() => bubbles.count(), { timeout: 15_000 }).toBeGreaterThan(before + 1);
    else await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toMatch(typeof answer === 'string' ? new RegExp(escapeRegExp(answer)) : answer);
  };
  return { chat, input, send, says };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A buyer on Direct Line (no page): a fresh conversation that sends `texts` one after another. */
export async function directLineBuyer(base: string, texts: string[]): Promise<void> {
  const { token, conversationId } = (await (await fetch(`${base}/api/directline/token`, { method: 'POST' })).json()) as { token: string; conversationId: string };
  await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  for (const text of texts)
    await fetch(`${base}/v3/directline/conversations/${conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: 'x' }, text }),
    });
}

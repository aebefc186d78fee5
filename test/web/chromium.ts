/**
 * Debian's chromium, driven by playwright-core, headless (as .ci/run installs it), and the steps
 * every browser test takes: an agent signing in to the console, a buyer opening the chat and typing.
 */
import fs from 'node:fs';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
/** The password the browser tests give their agents. */
export const AGENT_PASSWORD = 'correct horse battery';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
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

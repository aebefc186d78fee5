/** npm run chat: talk to the bot in a terminal, against the same database and demo shop. */
import readline from 'node:readline';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../app.js';
import { ConfigError, loadConfig, loadDotEnv } from '../../config.js';
import { terminal } from '../../replies/index.js';

let config: ReturnType<typeof loadConfig>;
try {
  loadDotEnv();
  config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
const app = await createApp({ config });
const showTrace = process.argv.includes('--trace');
const userId = process.env.CHAT_BUYER_ID;
const conversationId = `terminal-${randomUUID()}`;
const channelData = userId ? { buyer: { id: userId } } : undefined;

function print(activities: Array<{ type?: string; text?: string; value?: unknown; suggestedActions?: { actions?: Array<{ title?: string }> } }>) {
  for (const a of activities) {
    if (a.type === 'message') {
      console.log(`\n${terminal.bot(a.text ?? '')}`);
      const buttons = a.suggestedActions?.actions?.map((x) => `[${x.title}]`).join(' ');
      if (buttons) console.log(buttons);
    } else if (a.type === 'trace' && showTrace) console.log(`  (trace) ${JSON.stringify(a.value)}`);
  }
}

const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: `\n${terminal.you()}` });
print(await app.adapter.conversationStart(conversationId, userId ?? 'terminal-buyer', app.logic));
const examples = (await app.shop.examples?.(app.clock.now(), config.policy)) ?? {};
console.log(`\n${terminal.examples(Object.entries(examples) as Array<[string, string]>)}`);
console.log(terminal.usage());
rl.prompt();
for await (const line of rl) {
  if (line.trim() === '/quit') break;
  print(await app.adapter.message({ conversationId, userId: userId ?? 'terminal-buyer', text: line, channelId: 'terminal', channelData }, app.logic));
  rl.prompt();
}
rl.close();
await app.close();

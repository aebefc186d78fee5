/**
 * npm run agent -- add <username> [--name <display name>]   create a console account
 * npm run agent -- passwd <username>                         set a new password (signs out everywhere)
 * npm run agent -- list                                      list accounts
 * The password is read without echo from the terminal, or from AGENT_PASSWORD (scripts, CI); it is
 * stored only as a scrypt hash and never printed.
 */
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { ConfigError, loadConfig, loadDotEnv } from '../config.js';
import pino from 'pino';
import { openStore } from '../storage/index.js';
import { AgentStore, MIN_PASSWORD, requireStrongPassword } from './agents.js';

function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    // The terminal stops echoing first, then the prompt appears: nothing typed after it is shown.
    const silent = new Writable({ write: (_c, _e, cb) => cb() });
    const rl = readline.createInterface({ input: process.stdin, output: silent, terminal: true });
    process.stderr.write(prompt);
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

async function password(): Promise<string> {
  if (process.env.AGENT_PASSWORD) return process.env.AGENT_PASSWORD;
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for the password: set AGENT_PASSWORD');
  const first = await askHidden(`password (at least ${MIN_PASSWORD} characters): `);
  requireStrongPassword(first); // say it now, not after asking twice
  const second = await askHidden('again: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

async function main(argv: string[]): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, databaseFile: config.databaseFile, logger: pino({ level: 'warn' }), poolSize: 2 });
  const agents = new AgentStore(store.repos.agents);
  try {
    const [cmd, username] = argv;
    const nameAt = argv.indexOf('--name');
    const displayName = nameAt >= 0 ? (argv[nameAt + 1] ?? '') : (username ?? '');
    if (cmd === 'add' && username) {
      const a = await agents.create(username, displayName, await password());
      console.log(`created agent ${a.username} (${a.displayName}); sign in at /agent`);
    } else if (cmd === 'passwd' && username) {
      if (!(await agents.setPassword(username, await password()))) throw new Error(`no agent named ${username}`);
      console.log(`password changed for ${username}; their sessions were signed out`);
    } else if (cmd === 'list') {
      for (const a of await agents.list()) console.log(`${a.username}\t${a.displayName}`);
    } else {
      console.log('usage: npm run agent -- add <username> [--name <显示名>] | passwd <username> | list');
      process.exitCode = 2;
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(err instanceof ConfigError ? err.message : `error: ${err.message}`);
  process.exit(1);
});

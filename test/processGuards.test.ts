/**
 * The process-level guard: an error nobody caught is logged and the server keeps serving. Run in a
 * child process, since an uncaught error is what would end it.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/app.js';

const script = (guarded: boolean) => `
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { guardProcess } from './src/processGuards.ts';
${guarded ? "guardProcess(pino({ level: 'error' }));" : ''}
setTimeout(() => new EventEmitter().emit('error', new Error('an emitter nobody listens to')), 5);
setTimeout(() => void Promise.reject(new Error('a promise nobody awaits')), 10);
setTimeout(() => { console.log('still serving'); process.exit(0); }, 60);
`;
const run = (guarded: boolean) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(guarded)], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 20_000 });

describe('guardProcess', () => {
  it('logs uncaught errors and rejections and keeps the process alive', () => {
    const r = run(true);
    expect(r.stdout).toContain('still serving');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('uncaught exception (kept serving)');
    expect(r.stdout).toContain('an emitter nobody listens to');
    expect(r.stdout).toContain('unhandled promise rejection (kept serving)');
  });

  it('(without it, the same error ends the process)', () => {
    const r = run(false);
    expect(r.stdout).not.toContain('still serving');
    expect(r.status).not.toBe(0);
  });
});

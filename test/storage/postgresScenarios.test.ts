/**
 * The bot's behaviour does not depend on the backend: every scenario file runs again with
 * DATABASE_URL set, each in a fresh PostgreSQL database (the same checks as test/scenarios.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/eval/runner.js';
import { Scenario } from '../../src/eval/scenario.js';
import { createDatabase, requirePostgres } from '../support/postgres.js';

const dir = path.resolve('test/scenarios');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('scenarios on PostgreSQL', () => {
  it.each(files)('%s', async (f) => {
    const s = Scenario.parse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    const url = await createDatabase(requirePostgres(), 'scenario');
    const r = await runScenario(s, { DATABASE_URL: url, DATABASE_POOL_SIZE: '4' });
    expect(r.failures).toEqual([]);
  });
});

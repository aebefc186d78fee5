/**
 * npm run eval -- <file or folder>... [--repeat K] [--verbose]
 * Prints one line per failed expectation and "N passed, N failed". With LLM_* set the bot reads with
 * that model, so a shop can measure its own provider; `--repeat K` runs each scenario K times and
 * counts it only when all K pass (pass^k: a model that is right most of the time is not enough).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Scenario } from './scenario.js';
import { runScenario } from './runner.js';

function files(target: string): string[] {
  const st = fs.statSync(target);
  if (!st.isDirectory()) return [target];
  return fs
    .readdirSync(target)
    .sort()
    .flatMap((f) => files(path.join(target, f)))
    .filter((f) => f.endsWith('.json'));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const verbose = args.includes('--verbose');
  const at = args.findIndex((a) => a === '--repeat' || a.startsWith('--repeat='));
  const repeatArg = at < 0 ? '1' : args[at]!.includes('=') ? args[at]!.split('=')[1] : args[at + 1];
  const repeat = Number(repeatArg);
  const targets = args.filter((a, i) => !a.startsWith('--') && !(at >= 0 && i === at + 1 && !args[at]!.includes('=')));
  if (targets.length === 0 || !Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    console.error('usage: npm run eval -- <scenario.json | folder>... [--repeat K (1–100)] [--verbose]');
    return 2;
  }
  const reader =
    process.env.LLM_BASE_URL && process.env.LLM_MODEL
      ? `LLM ${process.env.LLM_MODEL} at ${new URL(process.env.LLM_BASE_URL).host}`
      : `no LLM (INTENT_MODEL=${process.env.INTENT_MODEL ?? 'learned'})`;
  console.log(`reading with ${reader}${repeat > 1 ? `; each scenario ${repeat} times, counted only when all pass` : ''}`);
  let runs = 0;
  let runsPassed = 0;
  let passed = 0;
  let failed = 0;
  for (const file of targets.flatMap(files)) {
    let scenario: Scenario;
    try {
      scenario = Scenario.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (err) {
      console.log(`${file}: invalid scenario: ${(err as Error).message.split('\n')[0]}`);
      failed++;
      continue;
    }
    let allPassed = true;
    for (let k = 0; k < repeat; k++) {
      const r = await runScenario(scenario, process.env);
      runs++;
      if (r.failures.length === 0) runsPassed++;
      else allPassed = false;
      const run = repeat > 1 ? ` run ${k + 1}/${repeat}` : '';
      for (const f of r.failures) console.log(`${path.basename(file)} [${scenario.name}]${run} ${f}`);
      if (verbose) for (const t of r.turns) console.log(`  > ${t.user}\n  < ${t.replies.join('\n  < ')}\n  = ${JSON.stringify(t.outcome)}`);
    }
    if (allPassed) passed++;
    else failed++;
  }
  if (repeat > 1) console.log(`runs: ${runsPassed} of ${runs} passed (pass^1 ${((runsPassed / Math.max(1, runs)) * 100).toFixed(1)}%)`);
  console.log(`${passed} passed, ${failed} failed${repeat > 1 ? ` (pass^${repeat})` : ''}`);
  return failed === 0 ? 0 : 1;
}

void main().then((code) => process.exit(code));

/**
 * The evaluation's command line and report, shared by the normal run (each scenario on its own
 * orders in the demo shop) and the live run (src/eval/live.ts): one line per failed expectation,
 * "N passed, N failed", exit code 0 when all passed, 1 otherwise, 2 for a usage or set-up error.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ScenarioResult } from './runner.js';
import { Scenario } from './scenario.js';

export const USAGE = 'usage: npm run eval -- [--live] <scenario.json | folder>... [--repeat K (1–100)] [--verbose]';

export interface EvalArgs {
  targets: string[];
  repeat: number;
  verbose: boolean;
  /** Against the shop ORDER_ADAPTER names, without loading the scenarios' orders. */
  live: boolean;
}

/** The command line (after `tsx src/eval/cli.ts`); undefined when it is not a valid one (print USAGE). */
export function parseArgs(argv: string[]): EvalArgs | undefined {
  const args = argv.filter((a) => a !== '--');
  const verbose = args.includes('--verbose');
  const live = args.includes('--live');
  const at = args.findIndex((a) => a === '--repeat' || a.startsWith('--repeat='));
  const repeatArg = at < 0 ? '1' : args[at]!.includes('=') ? args[at]!.split('=')[1] : args[at + 1];
  const repeat = Number(repeatArg);
  const targets = args.filter((a, i) => !a.startsWith('--') && !(at >= 0 && i === at + 1 && !args[at]!.includes('=')));
  if (targets.length === 0 || !Number.isInteger(repeat) || repeat < 1 || repeat > 100) return undefined;
  return { targets, repeat, verbose, live };
}

/** A file as itself; a folder as every .json below it, in name order. */
export function scenarioFiles(target: string): string[] {
  const st = fs.statSync(target);
  if (!st.isDirectory()) return [target];
  return fs
    .readdirSync(target)
    .sort()
    .flatMap((f) => scenarioFiles(path.join(target, f)))
    .filter((f) => f.endsWith('.json'));
}

/** Which model reads the buyers' messages (the first line of every report). */
export function readerLine(env: Record<string, string | undefined>, repeat: number): string {
  const reader = env.LLM_BASE_URL && env.LLM_MODEL ? `LLM ${env.LLM_MODEL} at ${new URL(env.LLM_BASE_URL).host}` : `no LLM (INTENT_MODEL=${env.INTENT_MODEL ?? 'learned'})`;
  return `reading with ${reader}${repeat > 1 ? `; each scenario ${repeat} times, counted only when all pass` : ''}`;
}

export interface ReportOptions {
  repeat: number;
  verbose: boolean;
  /** Runs one scenario once. */
  run: (scenario: Scenario) => Promise<ScenarioResult>;
  /** A remark about a scenario, printed once before its runs (not a failure). */
  note?: (scenario: Scenario) => string | undefined;
  print?: (line: string) => void;
}

/** Runs every scenario of the targets `repeat` times and prints the report; resolves to the exit code (0 or 1). */
export async function report(targets: string[], opts: ReportOptions): Promise<number> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const { repeat, verbose } = opts;
  let runs = 0;
  let runsPassed = 0;
  let passed = 0;
  let failed = 0;
  for (const file of targets.flatMap(scenarioFiles)) {
    let scenario: Scenario;
    try {
      scenario = Scenario.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (err) {
      print(`${file}: invalid scenario: ${(err as Error).message.split('\n')[0]}`);
      failed++;
      continue;
    }
    const note = opts.note?.(scenario);
    if (note) print(`${path.basename(file)} [${scenario.name}] ${note}`);
    let allPassed = true;
    for (let k = 0; k < repeat; k++) {
      const r = await opts.run(scenario);
      runs++;
      if (r.failures.length === 0) runsPassed++;
      else allPassed = false;
      const run = repeat > 1 ? ` run ${k + 1}/${repeat}` : '';
      for (const f of r.failures) print(`${path.basename(file)} [${scenario.name}]${run} ${f}`);
      if (verbose) for (const t of r.turns) print(`  > ${t.user}\n  < ${t.replies.join('\n  < ')}\n  = ${JSON.stringify(t.outcome)}`);
    }
    if (allPassed) passed++;
    else failed++;
  }
  if (repeat > 1) print(`runs: ${runsPassed} of ${runs} passed (pass^1 ${((runsPassed / Math.max(1, runs)) * 100).toFixed(1)}%)`);
  print(`${passed} passed, ${failed} failed${repeat > 1 ? ` (pass^${repeat})` : ''}`);
  return failed === 0 ? 0 : 1;
}

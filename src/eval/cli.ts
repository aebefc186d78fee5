/**
 * npm run eval -- [--live] <file or folder>... [--repeat K] [--verbose]
 * Prints one line per failed expectation and "N passed, N failed". With LLM_* set the bot reads with
 * that model, so a shop can measure its own provider; `--repeat K` runs each scenario K times and
 * counts it only when all K pass (pass^k: a model that is right most of the time is not enough).
 * `--live` runs the scenarios against the shop ORDER_ADAPTER configures (environment and .env),
 * without loading their orders, on each scenario's fixed clock (src/eval/live.ts).
 */
import { loadDotEnv } from '../config.js';
import { runLive } from './live.js';
import { parseArgs, readerLine, report, USAGE } from './report.js';
import { runScenario } from './runner.js';

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.error(USAGE);
    return 2;
  }
  const { targets, repeat, verbose } = args;
  if (args.live) {
    loadDotEnv();
    return runLive(targets, { env: process.env, repeat, verbose });
  }
  console.log(readerLine(process.env, repeat));
  return report(targets, { repeat, verbose, run: (scenario) => runScenario(scenario, process.env) });
}

void main().then((code) => process.exit(code));

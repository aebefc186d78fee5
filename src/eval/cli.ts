/** npm run eval -- <file or folder>...  Prints one line per failed expectation and "N passed, N failed". */
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
  const targets = args.filter((a) => !a.startsWith('--'));
  if (targets.length === 0) {
    console.error('usage: npm run eval -- <scenario.json | folder>... [--verbose]');
    return 2;
  }
  let passed = 0;
  let failed = 0;
  for (const file of targets.flatMap(files)) {
    let scenario;
    try {
      scenario = Scenario.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (err) {
      console.log(`${file}: invalid scenario: ${(err as Error).message.split('\n')[0]}`);
      failed++;
      continue;
    }
    const r = await runScenario(scenario, process.env);
    if (r.failures.length === 0) passed++;
    else failed++;
    for (const f of r.failures) console.log(`${path.basename(file)} [${scenario.name}] ${f}`);
    if (verbose) for (const t of r.turns) console.log(`  > ${t.user}\n  < ${t.replies.join('\n  < ')}\n  = ${JSON.stringify(t.outcome)}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));

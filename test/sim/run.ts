// CLI for long simulator runs: npm run sim -- [--seeds N] [--from S] [--seed S] [--nodes 4|7]
// [--heights K] [--verbose]. Exits 1 on the first failing seed and prints how to rerun it.
import { parseArgs } from 'node:util';
import { runSimulation } from './simulator.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    nodes: { type: 'string', default: '4' },
    heights: { type: 'string', default: '2' },
    verbose: { type: 'boolean', default: false },
  },
});

function integer(name: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${text}`);
    process.exit(2);
  }
  return value;
}

const nodes = integer('nodes', values.nodes, 1);
const heightsAfterGst = integer('heights', values.heights, 1);
const first = values.seed !== undefined ? integer('seed', values.seed, 0) : integer('from', values.from, 0);
const count = values.seed !== undefined ? 1 : integer('seeds', values.seeds, 1);
const started = performance.now();
let decisions = 0;
let events = 0;

for (let i = 0; i < count; i++) {
  const seed = first + i;
  const result = runSimulation({ seed, nodes, heightsAfterGst, verbose: values.verbose });
  decisions += result.stats.decisions;
  events += result.stats.events;
  if (!result.ok) {
    console.error(`\nFAIL seed ${seed}: ${result.violations.join('; ')}`);
    console.error(`  scenario: ${result.scenario}`);
    console.error(`  rerun:    npm run sim -- --seed ${seed} --nodes ${nodes} --verbose`);
    process.exit(1);
  }
  if (count === 1) {
    console.log(`seed ${seed} ok: ${result.scenario}`);
    console.log(`  ${JSON.stringify(result.stats)}`);
  } else if ((i + 1) % 100 === 0 || i + 1 === count) {
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `\r${i + 1}/${count} seeds ok (${nodes} nodes) — ${decisions} decisions, ${events} events, ${seconds.toFixed(1)} s, ${((seconds * 1000) / (i + 1)).toFixed(1)} ms/seed`,
    );
  }
}
if (count > 1) process.stdout.write('\n');

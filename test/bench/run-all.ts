import { type BenchRow, machine, renderTable } from './bench-table.js';
import { runCloudBench } from './cloud-bench.js';
import { runClusterBench } from './cluster-bench.js';
import { runEngineBench } from './engine-bench.js';
import { runGatewayBench } from './gateway-bench.js';
import { runJobBench } from './job-bench.js';
import { runModelBench } from './model-bench.js';
import { runModelStackBench } from './model-stack-bench.js';
import { runSimulatorBench } from './simulator-bench.js';
import { runSoakBench } from './soak-bench.js';
import { runSqlBench } from './sql-bench.js';

// Every benchmark, one table. Each figure stands beside a baseline measured in the same run,
// so the ratio means something on a shared, noisy machine where absolute numbers do not.
const all: [string, () => Promise<BenchRow[]>][] = [
  ['engine', runEngineBench],
  ['sql', runSqlBench],
  ['job', runJobBench],
  ['gateway', runGatewayBench],
  ['cloud', runCloudBench],
  ['cluster', runClusterBench],
  ['simulator', runSimulatorBench],
  ['model', runModelBench],
  ['soak', runSoakBench],
];
// Run only when named: the model on the hard fleet through a real gateway and cloud (about 15 minutes).
const named: [string, () => Promise<BenchRow[]>][] = [['model-stack', runModelStackBench]];
// `npm run bench -- gateway` runs only the named ones.
const only = process.argv.slice(2);
const benches = only.length === 0 ? all : [...all, ...named].filter(([name]) => only.includes(name));

const rows: BenchRow[] = [];
for (const [name, run] of benches) {
  process.stderr.write(`running ${name} bench...\n`);
  rows.push(...(await run()));
}
console.log(`Machine: ${machine()}\n`);
console.log(renderTable(rows));

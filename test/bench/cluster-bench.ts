import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freshDatabase, serverPostgresAnswers, serverPostgresUrl } from '../../cloud/src/testing/postgres.js';
import { type BenchRow, medianMs } from './bench-table.js';
import { decodeAndMergeInMemory, gatewayEnvelopes } from './intake-envelopes.js';

const gateways = Array.from({ length: 8 }, (_, g) => `gw-bench-${g}`);
const windows = 10;
const devicesPerGateway = 500;
const records = gateways.length * windows * devicesPerGateway;

interface WorkerFigures {
  wallMs: number;
  cpuMs: number;
}

function startWorker(url: string, share: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./pg-intake-worker.ts', import.meta.url)),
      JSON.stringify({ url, gateways: share, windows, devices: devicesPerGateway }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    }),
  );
  const done = new Promise<WorkerFigures>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() as string)) : reject(new Error(`bench worker exited with ${code}`)),
    ),
  );
  return { child, ready, done };
}

/** The machine's CPU time so far (all cores), from /proc/stat: busy and total jiffies. */
function machineCpu(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - fields[3] - fields[4], total }; // less idle and iowait
}

/** N worker processes share the gateways (as a shared subscription would) into one fresh database; wall time from "go" to the last done. */
async function intakeWith(workers: number): Promise<{ recordsPerSecond: number; cpuShare: number; machineBusy: number }> {
  const database = await freshDatabase('fogline_bench');
  try {
    const started = Array.from({ length: workers }, (_, w) =>
      startWorker(
        database.url,
        gateways.filter((_, g) => g % workers === w),
      ),
    );
    await Promise.all(started.map((w) => w.ready));
    const go = performance.now();
    const cpuBefore = machineCpu();
    for (const w of started) w.child.stdin.write('go\n');
    const figures = await Promise.all(started.map((w) => w.done));
    const wallMs = performance.now() - go;
    const cpuAfter = machineCpu();
    return {
      recordsPerSecond: (records / wallMs) * 1000,
      cpuShare: figures.reduce((sum, f) => sum + f.cpuMs, 0) / workers / wallMs,
      machineBusy: (cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total),
    };
  } finally {
    await database.drop();
  }
}

/**
 * The cloud's intake on PostgreSQL: one worker process, then two sharing the same gateways,
 * with the database on the same 2-core machine. Each worker merges one envelope at a time, as
 * its subscription delivers them, so one worker waits on the database's round trips, and a
 * second one fills those waits.
 */
export async function runClusterBench(): Promise<BenchRow[]> {
  if (!(await serverPostgresAnswers())) {
    process.stderr.write(`cluster bench skipped: no PostgreSQL answers at ${serverPostgresUrl} (FOGLINE_TEST_PG_URL)\n`);
    return [];
  }
  const envelopes = gateways.flatMap((g) => gatewayEnvelopes(g, windows, devicesPerGateway));
  const [handMs] = await medianMs(3, [() => decodeAndMergeInMemory(envelopes)]);
  const one = await intakeWith(1);
  const two = await intakeWith(2);
  const label = (n: number, run: { cpuShare: number; machineBusy: number }) =>
    `Cloud intake on PostgreSQL, ${n} worker process${n > 1 ? 'es' : ''} (${gateways.length} gateways x ${windows} windows x ${devicesPerGateway} devices; each worker busy ${Math.round(run.cpuShare * 100)}% of the time, the machine's ${availableParallelism()} cores ${Math.round(run.machineBusy * 100)}% busy, PostgreSQL included)`;
  return [
    {
      benchmark: label(1, one),
      unit: 'records/s',
      figure: one.recordsPerSecond,
      baseline: (records / handMs) * 1000,
      baselineName: 'hand-written decode-and-merge loop, in memory',
    },
    {
      benchmark: label(2, two),
      unit: 'records/s',
      figure: two.recordsPerSecond,
      baseline: one.recordsPerSecond,
      baselineName: 'one worker, the row above',
      targetRatioMin: 1.5,
    },
  ];
}

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cloudCli, gatewayCli, type Running, runCli, simCli, startProcess, stopProcess, tempDir, writeYaml } from '../e2e/processes.js';
import type { BenchRow } from './bench-table.js';

const atms = Number(process.env.FOGLINE_MODEL_ATMS ?? 600);
const days = 30;
/**
 * Simulated seconds per real second: 600 ATMs at a reading every 10 minutes make 4,000
 * publishes a second, what one gateway takes here with QoS 1 while its cloud merges. Much
 * faster and the simulator's in-flight queues overflow, and it drops publishes.
 */
const speed = Number(process.env.FOGLINE_MODEL_STACK_SPEED ?? 4000);

interface Evaluated {
  readonly kind: string;
  readonly heldOut: {
    devices: number;
    failures: number;
    rocAuc: number;
    prAuc: number;
    precision: number;
    recall: number;
    falseAlarmsPerDeviceMonth: number;
    detectedByRun: number;
    medianRunLeadTimeHours: number | null;
    rocAucWithoutSudden: number;
    sudden: { failures: number };
  };
  readonly oracle?: { rocAuc: number; precision: number; medianRunLeadTimeHours: number | null };
}

/**
 * The hard ATM profile through the real thing: a cloud and a gateway started from their CLIs,
 * 600 ATMs provisioned and simulated over 30 days (a reading every 10 minutes, at 4,000
 * simulated seconds a second), the cloud's own training on what it merged, and `fogline-cloud
 * maintenance evaluate` against the simulator's ground truth. Not in the default run (it takes
 * about 15 minutes): `npm run bench -- model-stack`.
 */
export async function runModelStackBench(): Promise<BenchRow[]> {
  const running: Running[] = [];
  try {
    const cloudDir = tempDir('model-stack-cloud');
    const cloudConfig = writeYaml(cloudDir, 'cloud.yaml', {
      dataDir: cloudDir,
      broker: { port: 0 },
      http: { port: 0 },
      log: { level: 'info' },
      schedules: { maintenanceTrain: 'off', maintenanceScore: 'off' },
    });
    const { secret } = JSON.parse(await runCli(cloudCli, ['gateways', 'add', 'gw-field', '-c', cloudConfig])) as { secret: string };
    const cloud = await startProcess(cloudCli, ['-c', cloudConfig], 'cloud ready');
    running.push(cloud);
    const gatewayDir = tempDir('model-stack-gateway');
    const gatewayConfig = writeYaml(gatewayDir, 'gateway.yaml', {
      gatewayId: 'gw-field',
      dataDir: gatewayDir,
      mqtt: { port: 0 },
      ops: { port: 0 },
      uplink: { url: `mqtt://127.0.0.1:${cloud.ports.broker}`, username: 'gw-field', password: secret },
      log: { level: 'info' },
      limits: { futureSkewMsMax: 0 },
      // Hour windows (the cloud's rollups are hourly anyway); at this speed a device's queue can
      // put it simulated hours behind the others, so two days of lateness are allowed.
      windows: { sizeMs: 3_600_000, allowedLatenessMs: 2 * 86_400_000, idleCloseMs: 5_000 },
    });
    const fleet = ['--fleet', `atm-hard=${atms}`];
    const credentials = join(gatewayDir, 'devices.jsonl');
    await promisify(execFile)(process.execPath, [simCli, 'provision', ...fleet, '--gateway-config', gatewayConfig, '--out', credentials]);
    const gateway = await startProcess(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    running.push(gateway);
    const truth = join(gatewayDir, 'truth.jsonl');
    const started = performance.now();
    await promisify(execFile)(
      process.execPath,
      [
        simCli,
        ...fleet,
        ...['--gateway', `mqtt://127.0.0.1:${gateway.ports.mqtt}`, '--credentials', credentials],
        ...['--seed', '2026', '--start', `-${days}d`, '--duration', `${days}d`, '--interval', '10m', '--speed', String(speed)],
        ...['--quiet', '--summary', join(gatewayDir, 'summary.json'), '--truth', truth],
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const summary = JSON.parse(readFileSync(join(gatewayDir, 'summary.json'), 'utf8')) as {
      readings: { delivered: number };
      publishes: { generated: number; delivered: number; dropped: Record<string, number> };
    };
    // A fleet that outruns the gateway drops publishes (counted): the month would be full of holes.
    const dropped = Object.values(summary.publishes.dropped).reduce((a, b) => a + b, 0);
    if (dropped > summary.publishes.generated / 100)
      throw new Error(
        `the simulator dropped ${dropped} of ${summary.publishes.generated} publishes at x${speed}: run slower (FOGLINE_MODEL_STACK_SPEED)`,
      );
    const simulatedS = (performance.now() - started) / 1000;
    const api = async <T>(path: string, init?: RequestInit): Promise<T> =>
      (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/${path}`, init)).json() as Promise<T>;
    // Every delivered reading merged, but those the gateway counted too late for their window.
    const late = async () =>
      Number(
        /^fogline_gateway_late_readings_total (\d+)$/m.exec(
          await (await fetch(`http://127.0.0.1:${gateway.ports.ops}/metrics`)).text(),
        )?.[1],
      );
    for (let waited = 0; ; waited += 5) {
      const merged = (await api<{ readings: { total: number } }>('overview')).readings.total;
      if (merged >= summary.readings.delivered - (await late())) break;
      if (waited > 3600) throw new Error(`the cloud merged ${merged} of ${summary.readings.delivered} readings in an hour`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    const mergedS = (performance.now() - started) / 1000;
    const trained = await api<{ trained: { kind: string; learner: string }[]; skipped: unknown[] }>('maintenance/train', {
      method: 'POST',
    });
    const evaluation = JSON.parse(
      await runCli(cloudCli, ['maintenance', 'evaluate', '--truth', truth, '--url', `http://127.0.0.1:${cloud.ports.http}`, '--json']),
    ) as { models: Evaluated[] };
    const atm = evaluation.models.find((m) => m.kind === 'ATM-9000');
    if (!atm) throw new Error(`no ATM-9000 model: ${JSON.stringify(trained.skipped)}`);
    const h = atm.heldOut;
    const oracle = atm.oracle;
    process.stderr.write(
      `model-stack: ${atms} ATMs x ${days} days, ${summary.readings.delivered} readings delivered in ${simulatedS.toFixed(0)} s, ` +
        `merged by ${mergedS.toFixed(0)} s (${await late()} late); learner ${trained.trained[0]?.learner}; ` +
        `${h.devices} held out, ${h.failures} failures (${h.sudden.failures} sudden), ROC AUC without them ${h.rocAucWithoutSudden.toFixed(3)}\n`,
    );
    const label = `Predictive maintenance through a real gateway and cloud, hard ATM profile, ${atms} ATMs x ${days} days (a reading every 10 minutes):`;
    return [
      {
        benchmark: `${label} held-out ROC AUC (PR AUC ${h.prAuc.toFixed(2)})`,
        unit: 'AUC',
        figure: h.rocAuc,
        baseline: oracle?.rocAuc ?? Number.NaN,
        baselineName: 'oracle: hidden wear',
        absoluteMin: 0.85,
      },
      {
        benchmark: `${label} precision at the threshold chosen on training devices (recall ${h.recall.toFixed(2)}, ${h.falseAlarmsPerDeviceMonth.toFixed(2)} false alarms per device-month)`,
        unit: 'precision',
        figure: h.precision,
        baseline: oracle?.precision ?? Number.NaN,
        baselineName: 'oracle: hidden wear',
        absoluteMin: 0.5,
      },
      {
        benchmark: `${label} median lead time of the unbroken alert runs ending at a failure (${h.detectedByRun} of ${h.failures} led up to)`,
        unit: 'h',
        figure: h.medianRunLeadTimeHours ?? 0,
        baseline: oracle?.medianRunLeadTimeHours ?? Number.NaN,
        baselineName: 'oracle: hidden wear',
        absoluteMin: 12,
      },
    ];
  } finally {
    for (const process of running.reverse()) await stopProcess(process, 'SIGKILL');
  }
}

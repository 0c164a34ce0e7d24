import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './bench-table.js';
import { startServer, stopServer } from './gateway-bench.js';

const simCli = fileURLToPath(new URL('../../devices-sim/dist/cli.js', import.meta.url));
const devices = 10_000;
const durationS = 60;

/** Peak resident set of a process, sampled from /proc while it runs. */
function sampleRss(pid: number, peak: { bytes: number }): NodeJS.Timeout {
  return setInterval(() => {
    try {
      const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
      peak.bytes = Math.max(peak.bytes, pages * 4096);
    } catch {
      // the process has ended
    }
  }, 1000);
}

/**
 * fogline-sim's own capacity: 10,000 devices, each with its own MQTT.js connection, sending
 * one QoS 1 reading a second for a minute to the real gateway (a process of its own). The
 * figure is the rate the gateway acknowledged; the baseline is the rate the options ask for.
 */
export async function runSimulatorBench(): Promise<BenchRow[]> {
  const gateway = await startServer('gateway');
  const folder = mkdtempSync(join(tmpdir(), 'fogline-sim-bench-'));
  const summaryPath = join(folder, 'summary.json');
  const peak = { bytes: 0 };
  try {
    const child = spawn(
      process.execPath,
      [
        simCli,
        '--gateway',
        `mqtt://127.0.0.1:${gateway.port}`,
        '--fleet',
        `env=${devices}`,
        '--interval',
        '1s',
        '--duration',
        `${durationS}s`,
        '--qos',
        '1',
        '--summary',
        summaryPath,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const sampler = sampleRss(child.pid as number, peak);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearInterval(sampler);
    if (code !== 0) throw new Error(`fogline-sim exited with ${code}`);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
      devices: { connected: number };
      wall: { connectMs: number };
      ratePerSecond: { target: number; achieved: number };
      publishes: { generated: number; delivered: number; dropped: { inFlightFull: number } };
    };
    process.stderr.write(
      `fogline-sim: ${summary.devices.connected} devices connected in ${(summary.wall.connectMs / 1000).toFixed(1)} s; ` +
        `${summary.publishes.delivered} of ${summary.publishes.generated} publishes acknowledged; peak RSS ${Math.round(peak.bytes / 2 ** 20)} MB\n`,
    );
    return [
      {
        benchmark: `fogline-sim, ${devices.toLocaleString('en-US')} devices x 1 QoS 1 reading/s for ${durationS} s, one process, into the gateway (sim peak RSS ${Math.round(peak.bytes / 2 ** 20)} MB)`,
        unit: 'readings/s',
        figure: summary.ratePerSecond.achieved,
        baseline: summary.ratePerSecond.target,
        baselineName: 'rate asked for',
        targetRatioMin: 0.95,
        targetRatioMax: 1.05,
      },
    ];
  } finally {
    await stopServer(gateway);
    rmSync(folder, { recursive: true, force: true });
  }
}

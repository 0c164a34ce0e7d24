import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServiceProcess, startService, stopService } from '@fogline/devices-sim';
import type { BenchRow } from './bench-table.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const cloudCli = here('../../cloud/dist/cli.js');
const gatewayCli = here('../../edge/dist/cli.js');
const simCli = here('../../devices-sim/dist/cli.js');

const devices = 10_000;
const minutes = Number(process.env.FOGLINE_SOAK_MINUTES ?? 10);
const sampleEveryMs = 10_000;
/** Samples before this are the warm-up (connections, JIT, caches filling): not in the slope. */
const warmUpMs = Math.min(120_000, (minutes * 60_000) / 5);
/** The flat-memory target: what a process may grow per minute once warm (10 MB over the 10 minutes). */
const slopeMbPerMinMax = 1;

const rssMb = (pid: number | undefined) => {
  try {
    return (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 2 ** 20;
  } catch {
    return Number.NaN;
  }
};

/** Least-squares slope of (minutes, MB) samples. */
function slopePerMinute(samples: readonly [number, number][]): number {
  const n = samples.length;
  const meanX = samples.reduce((s, [x]) => s + x, 0) / n;
  const meanY = samples.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = samples.reduce((s, [x, y]) => s + (x - meanX) * (y - meanY), 0);
  const sxx = samples.reduce((s, [x]) => s + (x - meanX) ** 2, 0);
  return sxy / sxx;
}

/**
 * The soak: 10,000 simulated devices, one QoS 1 reading each every 5 s (2,000 a second), for
 * 10 minutes through a real gateway into a real cloud (three processes of the CLIs). The
 * resident memory of each is sampled every 10 s; after the warm-up its least-squares slope
 * must be flat. The baseline is the process's mean resident memory in the same run.
 */
export async function runSoakBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fogline-soak-'));
  const services: ServiceProcess[] = [];
  try {
    const cloudConfig = join(dir, 'cloud.json');
    writeFileSync(
      cloudConfig,
      JSON.stringify({ dataDir: join(dir, 'cloud'), broker: { port: 0, allowAnonymous: true }, http: { port: 0 }, log: { level: 'info' } }),
    );
    const cloud = await startService('fogline-cloud', cloudCli, ['start', '-c', cloudConfig], 'cloud ready', join(dir, 'cloud.log'));
    services.push(cloud);
    const gatewayConfig = join(dir, 'gateway.json');
    writeFileSync(
      gatewayConfig,
      JSON.stringify({
        gatewayId: 'gw-soak',
        dataDir: join(dir, 'gateway'),
        mqtt: { port: 0, allowAnonymous: true },
        ops: { port: 0 },
        uplink: { url: `mqtt://127.0.0.1:${cloud.ports.broker}` },
        log: { level: 'info' },
      }),
    );
    const gateway = await startService(
      'fogline-gateway',
      gatewayCli,
      ['start', '-c', gatewayConfig],
      'gateway ready',
      join(dir, 'gateway.log'),
    );
    services.push(gateway);
    const summaryPath = join(dir, 'summary.json');
    const sim = spawn(
      process.execPath,
      [
        simCli,
        ...['--gateway', `mqtt://127.0.0.1:${gateway.ports.mqtt}`, '--fleet', `env=${devices}`],
        ...['--interval', '5s', '--duration', `${minutes}m`, '--qos', '1', '--quiet', '--summary', summaryPath],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const processes = { cloud: cloud.child.pid, gateway: gateway.child.pid, simulator: sim.pid };
    const samples: Record<string, [number, number][]> = { cloud: [], gateway: [], simulator: [] };
    const startMs = Date.now();
    const sampler = setInterval(() => {
      const atMin = (Date.now() - startMs) / 60_000;
      for (const [name, pid] of Object.entries(processes)) samples[name].push([atMin, rssMb(pid)]);
      const last = Object.entries(samples).map(([name, s]) => `${name} ${Math.round(s.at(-1)?.[1] ?? 0)} MB`);
      process.stderr.write(`soak ${atMin.toFixed(1)} min: ${last.join(', ')}\n`);
    }, sampleEveryMs);
    const code = await new Promise<number | null>((resolve) => sim.once('exit', resolve));
    clearInterval(sampler);
    if (code !== 0) throw new Error(`fogline-sim exited with ${code}`);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
      ratePerSecond: { achieved: number };
      devices: { connected: number };
    };
    process.stderr.write(
      `soak: ${summary.devices.connected} devices, ${Math.round(summary.ratePerSecond.achieved)} readings/s acknowledged\n`,
    );
    return Object.entries(samples).map(([name, all]) => {
      const warm = all.filter(([atMin, mb]) => atMin * 60_000 >= warmUpMs && Number.isFinite(mb));
      const meanMb = warm.reduce((s, [, mb]) => s + mb, 0) / warm.length;
      return {
        benchmark: `Soak: resident memory slope of the ${name}, ${devices.toLocaleString('en-US')} devices x 1 QoS 1 reading / 5 s for ${minutes} min through gateway and cloud (sampled every 10 s, after ${warmUpMs / 60_000} min of warm-up)`,
        unit: 'MB/min',
        figure: slopePerMinute(warm),
        baseline: meanMb,
        baselineName: 'mean resident memory',
        baselineUnit: 'MB',
        absoluteMax: slopeMbPerMinMax,
      };
    });
  } finally {
    for (const service of services.reverse()) await stopService(service);
    rmSync(dir, { recursive: true, force: true });
  }
}

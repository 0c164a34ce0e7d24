import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { simCli } from './processes.js';

export interface RunningStack {
  httpPort: number;
  cloudWorkers: { nodeId: string; pid: number; httpPort: number }[];
  gateways: { site: string; gatewayId: string; mqttPort: number; opsPort: number }[];
  demoDevice: { deviceId: string; secret: string };
  processes: { name: string; pid: number }[];
}

export const runningStack = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, 'running.json'), 'utf8')) as RunningStack;

/** After a failed test: the stack's parts run in their own process groups, so they are killed by pid. */
export function killParts(dataDir: string): void {
  const path = join(dataDir, 'running.json');
  if (!existsSync(path)) return;
  for (const { pid } of runningStack(dataDir).processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** `npm start`'s command, on free ports, a small fleet and three hours of history, in `dataDir`. */
export function startStack(dataDir: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [
      simCli,
      'stack',
      '--data-dir',
      dataDir,
      '--http-port',
      '0',
      '--cloud-port',
      '0',
      '--gateway-ports',
      '0,0',
      '--lab-port',
      '0',
      '--atms',
      '8',
      '--history',
      '3h',
      '--no-live',
      '--quiet',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const said = (text: string, timeoutMs = 120_000) => expect.poll(() => output, { timeout: timeoutMs, interval: 200 }).toContain(text);
  return { child, exited, said, output: () => output };
}

export const sumOfLines = (metrics: string, name: string) =>
  metrics
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);

/**
 * What the simulated fleets saw acknowledged by their gateways (their summaries, an oracle
 * outside the system), less the readings the gateways counted late (the stated policy), per
 * gateway of a site.
 */
export async function acknowledgedPerGateway(dataDir: string, run = 1): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  for (const gateway of runningStack(dataDir).gateways.filter((g) => g.site !== 'lab')) {
    const summaryPath = join(dataDir, gateway.gatewayId, `fleet-run${run}-replay.json`);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { readings: { delivered: number } };
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.opsPort}/metrics`)).text();
    const late = sumOfLines(metrics, 'fogline_gateway_late_readings_total');
    expect(late).toBeLessThan(summary.readings.delivered / 20);
    expected.set(gateway.gatewayId, summary.readings.delivered - late);
  }
  return expected;
}

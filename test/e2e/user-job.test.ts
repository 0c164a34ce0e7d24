import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { tempDir } from './processes.js';
import { killParts, runningStack, startStack } from './stack-process.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The job the README shows, exactly as a user would copy it. */
function readmeJob(): string {
  const marker = '<!-- job example: my-job.js -->';
  const after = readme.slice(readme.indexOf(marker) + marker.length);
  const match = /```js\n([\s\S]*?)```/.exec(after);
  if (!readme.includes(marker) || !match) throw new Error(`README.md has no ${marker} followed by a js block`);
  return match[1];
}

/** The oracle: the dew point of what the publisher saw acknowledged, computed here. */
const dewPoint = (t: number, h: number) => {
  const g = Math.log(h / 100) + (17.62 * t) / (243.12 + t);
  return (243.12 * g) / (17.62 - g);
};

interface Sent {
  readonly ts: number;
  readonly temperature: number;
  readonly humidity: number;
}

/** QoS 1 publishes from the demo device; what resolves is what the gateway acknowledged. */
async function publish(port: number, device: { deviceId: string; secret: string }, readings: readonly Sent[]): Promise<Sent[]> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: device.deviceId,
    username: device.deviceId,
    password: device.secret,
    reconnectPeriod: 0,
  });
  const acked: Sent[] = [];
  try {
    for (const r of readings) {
      await client.publishAsync(`telemetry/${device.deviceId}`, JSON.stringify(r), { qos: 1 });
      acked.push(r);
    }
  } finally {
    await client.endAsync(true).catch(() => {});
  }
  return acked;
}

describe("a user's job on npm start's lab gateway", () => {
  it("the README's job forwards a derived metric the dashboard lists, with exact totals across a SIGKILL of the gateway", async () => {
    const dataDir = tempDir('user-job');
    // The job and the config lines, as the README says; the stack keeps a user's edits.
    mkdirSync(join(dataDir, 'gw-lab'), { recursive: true });
    writeFileSync(join(dataDir, 'gw-lab', 'my-job.js'), readmeJob());
    writeFileSync(join(dataDir, 'gw-lab', 'gateway.json'), JSON.stringify({ job: ['@fogline/edge/jobs/default-job.js', './my-job.js'] }));
    const base = Date.now() - 50 * 60_000;
    const readings: Sent[] = Array.from({ length: 80 }, (_, i) => ({
      ts: base + i * 30_000,
      temperature: 18 + (i % 9) * 0.7,
      humidity: 40 + (i % 13) * 3,
    }));
    const stack = startStack(dataDir);
    let again: ReturnType<typeof startStack> | undefined;
    try {
      await stack.said('Ctrl-C stops everything');
      const first = runningStack(dataDir);
      const lab = first.gateways.find((g) => g.site === 'lab') as (typeof first.gateways)[number];
      const acked = await publish(lab.mqttPort, first.demoDevice, readings.slice(0, 50));
      // Killed at once, with open windows and the job's batches in flight: the stack goes down with it.
      const labPid = first.processes.find((p) => p.name === lab.gatewayId)?.pid as number;
      process.kill(labPid, 'SIGKILL');
      await stack.exited;

      again = startStack(dataDir);
      await again.said('Ctrl-C stops everything');
      const second = runningStack(dataDir);
      const lab2 = second.gateways.find((g) => g.site === 'lab') as (typeof second.gateways)[number];
      acked.push(...(await publish(lab2.mqttPort, second.demoDevice, readings.slice(50))));
      expect(acked).toHaveLength(readings.length);

      const api = async <T>(path: string): Promise<T> =>
        (await fetch(`http://127.0.0.1:${second.httpPort}/api/v1/${path}`)).json() as Promise<T>;
      const group = async (metric: string) =>
        (await api<{ groups: Record<string, { count: number; sum: number }> }>(`fleet?metric=${metric}&groupBy=device`)).groups[
          second.demoDevice.deviceId
        ];
      // The windows close once idle (30 s) and the uplink forwards them.
      await expect.poll(async () => (await group('dewPoint'))?.count, { timeout: 120_000, interval: 1000 }).toBe(acked.length);
      const expectedSum = acked.reduce((sum, r) => sum + dewPoint(r.temperature, r.humidity), 0);
      expect((await group('dewPoint')).sum).toBeCloseTo(expectedSum, 6);
      const temperature = await group('temperature');
      expect(temperature.count).toBe(acked.length);
      expect(temperature.sum).toBeCloseTo(
        acked.reduce((sum, r) => sum + r.temperature, 0),
        6,
      );
      // The dashboard's metric list.
      const names = await api<{ metrics: string[] }>('metric-names');
      expect(names.metrics).toContain('dewPoint');
      // The job's lineage on the ops port: the reduction ran in the engine.
      const jobs = (await (await fetch(`http://127.0.0.1:${lab2.opsPort}/jobs`)).json()) as { lineage: string };
      expect(jobs.lineage).toContain('aggregateByKey into the window state store');

      again.child.kill('SIGINT');
      expect(await again.exited).toBe(0);
    } finally {
      stack.child.kill('SIGKILL');
      again?.child.kill('SIGKILL');
      killParts(dataDir);
    }
  }, 400_000);
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricState } from '@fogline/shared';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import { derivedMetric } from './jobs/derived-metric-job.js';
import { zMetric } from './jobs/zscore-alerts-job.js';
import { readDeadLetters, readOutbox, startTestGateway } from './test-support.js';

const jobs = ['default-job', 'derived-metric-job', 'zscore-alerts-job'].map((name) => `@fogline/edge/jobs/${name}.js`);
const running: Gateway[] = [];
afterEach(async () => {
  for (const g of running.splice(0)) await g.stop();
});

async function start(extra: Record<string, unknown>): Promise<Gateway> {
  const g = await startTestGateway({ mqtt: { port: 0, allowAnonymous: true }, ...extra });
  running.push(g);
  return g;
}

/** What four ATMs send: one publish a minute each, vibration and current together; one ATM goes bad late on. */
function atmPublishes(count: number, base: number): { deviceId: string; payload: string }[] {
  const out: { deviceId: string; payload: string }[] = [];
  for (let i = 0; i < count; i++)
    for (let d = 1; d <= 4; d++) {
      const wobble = ((i * 31 + d * 17) % 11) / 100;
      const vibration = d === 4 && i > count - 10 ? 2.5 : 0.9 + wobble;
      out.push({
        deviceId: `atm-${d}`,
        payload: JSON.stringify({ ts: base + i * 60_000, values: { dispenserVibration: vibration, dispenserCurrent: 1.2 + wobble / 2 } }),
      });
    }
  return out;
}

async function publishAll(g: Gateway, publishes: readonly { deviceId: string; payload: string }[]): Promise<void> {
  const clients = new Map<string, mqtt.MqttClient>();
  for (const { deviceId, payload } of publishes) {
    let client = clients.get(deviceId);
    if (!client) {
      client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: deviceId });
      clients.set(deviceId, client);
    }
    await client.publishAsync(`telemetry/${deviceId}`, payload, { qos: 1 });
  }
  for (const client of clients.values()) await client.endAsync();
}

const figures = (states: Map<string, MetricState>) =>
  new Map([...states].map(([key, s]) => [key, { count: s.count, sum: s.sum.value(), min: s.min, max: s.max }]));

describe("the gateway's job", () => {
  const windows = { sizeMs: 10 * 60_000, allowedLatenessMs: 0 };
  const base = Date.UTC(2026, 10, 1);

  it('runs the reduction inside an engine job whose lineage the ops port shows', async () => {
    const g = await start({ windows, job: jobs });
    await publishAll(g, atmPublishes(3, base));
    await g.settled();
    const page = (await (await fetch(`http://127.0.0.1:${g.ports.ops}/jobs`)).json()) as {
      lineage: string;
      batchesRun: number;
      recentJobs: { operation: string; stages: { kind: string }[] }[];
    };
    expect(page.lineage).toMatch(/aggregateByKey into the window state store/);
    expect(page.lineage).toMatch(/event time: watermark, late, duplicates/);
    expect(page.lineage).toMatch(/\+-/); // the combine's shuffle boundary
    expect(page.batchesRun).toBeGreaterThan(0);
    expect(page.recentJobs.some((j) => j.operation === 'count' && j.stages.some((s) => s.kind === 'shuffle-map'))).toBe(true);
  });

  it('forwards derived metrics and z-scores, and a restart from the log (no drain) gives what an uninterrupted run gives', async () => {
    const publishes = atmPublishes(60, base);
    const reference = await start({ windows, job: jobs });
    await publishAll(reference, publishes);
    await reference.stop();
    const expected = (await readOutbox(reference.config.dataDir)).states;
    expect(expected.get(`atm-1/${derivedMetric}`)?.count).toBe(60);
    expect(expected.get(`atm-4/${zMetric}`)?.max).toBeGreaterThan(4);
    expect(expected.get('atm-1/dispenserVibration')?.count).toBe(60);

    // The same readings, with the gateway stopped without closing its windows twice on the way:
    // each restart replays the log into the windows and the job's restored state.
    const first = await start({ windows, job: jobs });
    const { dataDir } = first.config;
    // Window checks on the way, as every second: checkpoints, each with the job's state as it
    // was before its replay point (the baselines the z-scores need).
    for (let from = 0; from < 100; from += 20) {
      await publishAll(first, publishes.slice(from, from + 20));
      await first.settled();
      await first.pipeline.closeReady();
    }
    await first.stop({ drain: false });
    running.pop();
    const second = await start({ windows, job: jobs, dataDir });
    await publishAll(second, publishes.slice(100, 170));
    await second.stop({ drain: false });
    running.pop();
    const third = await start({ windows, job: jobs, dataDir });
    await publishAll(third, publishes.slice(170));
    await third.stop();
    running.pop();
    const actual = (await readOutbox(dataDir)).states;
    expect(figures(actual)).toEqual(figures(expected));
  });

  it('dead-letters a record a job throws on, with the error, and forwards its neighbours; a failing batch is counted and shown', async () => {
    const dir = (await start({})).config.dataDir;
    const jobFile = join(dir, 'fussy-job.mjs');
    writeFileSync(
      jobFile,
      `export default (readings, { forward }) => {
         forward(readings.map((r) => { if (r.value === 13) throw new Error('unlucky ' + r.deviceId); return r; }));
         forward(readings.filter((r) => r.value === 2).map((r) => ({ ...r, metric: 'per cent' })));
         readings.filter((r) => r.value === 99).foreachRDD(async (rdd) => { if ((await rdd.count()) > 0) throw new Error('batch-wide trouble'); });
       };\n`,
    );
    const g = await start({ windows, job: [jobFile] });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'dev' });
    for (const [i, value] of [1, 13, 2].entries())
      await client.publishAsync('telemetry/dev/m', JSON.stringify({ ts: base + i * 1000, value }), { qos: 1 });
    await g.settled();
    await client.publishAsync('telemetry/dev/m', JSON.stringify({ ts: base + 5000, value: 99 }), { qos: 1 });
    await client.endAsync();
    await g.settled();
    const health = g.health();
    expect(health).toMatchObject({ jobRecordErrors: 1, jobBatchesFailed: 1 });
    expect(String((health.jobLastError as { message: string }).message)).toContain('batch-wide trouble');
    const metrics = await (await fetch(`http://127.0.0.1:${g.ports.ops}/metrics`)).text();
    expect(metrics).toContain('fogline_gateway_job_batches_failed_total 1');
    await g.stop();
    running.pop();
    const outbox = await readOutbox(g.config.dataDir);
    // 1, 2 and 99: the forward ran before the failing output, so 99 is in the windows too.
    expect(outbox.states.get('dev/m')).toMatchObject({ count: 3, min: 1, max: 99 });
    const dead = await readDeadLetters(g.config.dataDir);
    expect(dead).toEqual([
      expect.objectContaining({ deviceId: 'dev', topic: '(job)', reason: expect.stringMatching(/unlucky dev/) }),
      // A name outside the device contract's alphabet, made by a job: refused, naming it.
      expect.objectContaining({ deviceId: 'dev', topic: '(job)', reason: 'metric was "per cent", expected 1-64 letters, digits, _ . : -' }),
    ]);
  });

  it('refuses to start on a job module without a default function, naming it', async () => {
    const dir = (await start({})).config.dataDir;
    const jobFile = join(dir, 'not-a-job.mjs');
    writeFileSync(jobFile, 'export const job = 1;\n');
    await expect(start({ windows, job: jobFile })).rejects.toThrow(`job ${jobFile}: expected a default export function`);
  });
});

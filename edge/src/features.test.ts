import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import type { Alert } from './pipeline/rules.js';
import { GatewayStore } from './store/gateway-store.js';
import { readOutbox, startTestGateway } from './test-support.js';

const fixture = (name: string) => fileURLToPath(new URL(`../test-fixtures/${name}`, import.meta.url));
const running: Gateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

async function gateway(extra: Record<string, unknown>) {
  const g = await startTestGateway({ ...extra, mqtt: { port: 0, allowAnonymous: true, ...((extra.mqtt as object) ?? {}) } });
  running.push(g);
  return g;
}

async function stopAndReadAlerts(g: Gateway): Promise<Alert[]> {
  running.splice(running.indexOf(g), 1);
  await g.stop();
  const store = await GatewayStore.open(g.config.dataDir);
  const alerts: Alert[] = [];
  for await (const value of store.alerts.values()) alerts.push(JSON.parse(Buffer.from(value).toString('utf8')));
  await store.close();
  return alerts;
}

const publish = (client: mqtt.MqttClient, deviceId: string, metric: string, ts: number, value: number) =>
  client.publishAsync(`telemetry/${deviceId}/${metric}`, JSON.stringify({ ts, value }), { qos: 1 });

describe('gateway features', () => {
  it('serves MQTT over TLS and over WebSocket besides plain TCP', async () => {
    const g = await gateway({
      mqtt: { tls: { port: 0, keyFile: fixture('localhost.key'), certFile: fixture('localhost.crt') }, websocket: { port: 0 } },
    });
    const ca = readFileSync(fixture('localhost.crt'));
    const overTls = await mqtt.connectAsync(`mqtts://localhost:${g.ports.tls}`, { clientId: 'secure', ca, reconnectPeriod: 0 });
    await publish(overTls, 'secure', 't', Date.now() - 1000, 1);
    await overTls.endAsync();
    const overWs = await mqtt.connectAsync(`ws://127.0.0.1:${g.ports.websocket}`, { clientId: 'browser', reconnectPeriod: 0 });
    await publish(overWs, 'browser', 't', Date.now() - 1000, 2);
    await overWs.endAsync();
    // A client that does not trust the certificate is refused by TLS itself.
    await expect(mqtt.connectAsync(`mqtts://localhost:${g.ports.tls}`, { clientId: 'x', reconnectPeriod: 0 })).rejects.toThrow(
      /self-signed|certificate/,
    );
    running.pop();
    await g.stop();
    const { states } = await readOutbox(g.config.dataDir);
    expect(states.get('secure/t')?.count).toBe(1);
    expect(states.get('browser/t')?.count).toBe(1);
  });

  it('raises threshold, deadband, rate-of-change and silence alerts into the outbox', async () => {
    const g = await gateway({
      rules: [
        { kind: 'threshold', name: 'too-hot', metric: 'temp', above: 30 },
        { kind: 'deadband', name: 'setpoint', metric: 'setpoint', band: 5 },
        { kind: 'rate-of-change', name: 'jump', metric: 'current', perSecondMax: 2 },
        { kind: 'silence', name: 'quiet', metric: '*', silentMsMax: 1000 },
      ],
    });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'm1' });
    const t = Date.now() - 60_000;
    for (const [i, temp] of [25, 31, 32, 29, 35].entries()) await publish(client, 'm1', 'temp', t + i * 1000, temp);
    for (const [i, sp] of [50, 52, 56, 57, 40].entries()) await publish(client, 'm1', 'setpoint', t + i * 1000, sp);
    for (const [i, a] of [10, 11, 20, 20.5].entries()) await publish(client, 'm1', 'current', t + i * 1000, a);
    await client.endAsync();
    await new Promise((resolve) => setTimeout(resolve, 2500)); // the window check runs every second
    const alerts = await stopAndReadAlerts(g);
    const by = (rule: string) => alerts.filter((a) => a.rule === rule).map((a) => a.value);
    expect(by('too-hot')).toEqual([31, 35]); // on entering violation only
    expect(by('setpoint')).toEqual([50, 56, 40]); // moves beyond the band from the last report
    expect(by('jump')).toEqual([20]);
    expect(
      alerts
        .filter((a) => a.rule === 'quiet')
        .map((a) => a.metric)
        .sort(),
    ).toEqual(['current', 'setpoint', 'temp']);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length);
  });

  it('routes readings for closed windows to the late store, counted, and keeps them out of the states', async () => {
    const g = await gateway({ windows: { sizeMs: 1000, allowedLatenessMs: 0 } });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'd' });
    const t = Date.now() - 60_000;
    await publish(client, 'd', 'm', t + 5000, 1); // watermark moves to t + 5 s
    await publish(client, 'd', 'm', t, 99); // its window [t, t + 1 s) has closed
    await client.endAsync();
    await g.settled();
    const metrics = await (await fetch(`http://127.0.0.1:${g.ports.ops}/metrics`)).text();
    expect(metrics).toContain('fogline_gateway_late_readings_total 1');
    expect(g.health()).toMatchObject({ lateReadings: 1 });
    running.pop();
    await g.stop();
    expect((await readOutbox(g.config.dataDir)).states.get('d/m')?.count).toBe(1);
    const store = await GatewayStore.open(g.config.dataDir);
    const late = (await store.late.values().all()).map((v) => new Packr({ useRecords: false }).unpack(v));
    await store.close();
    expect(late).toEqual([{ deviceId: 'd', metric: 'm', ts: t, value: 99 }]);
  });

  it('runs a user pipeline written against the DStream API', async () => {
    const module = fileURLToPath(new URL('../dist/examples/hot-devices-pipeline.js', import.meta.url));
    const g = await gateway({ pipelines: [{ module, batchIntervalMs: 200 }] });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'atm-9' });
    // The simulated ATMs' metric: a failing dispenser's vibration, above the example's 1.5 g.
    for (let i = 0; i < 5; i++) await publish(client, 'atm-9', 'dispenserVibration', Date.now() - 1000 + i, 2.4);
    await publish(client, 'atm-9', 'cabinetTemperature', Date.now() - 1000, 99);
    await client.endAsync();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const alerts = await stopAndReadAlerts(g);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]).toMatchObject({ rule: 'hot-devices', deviceId: 'atm-9', metric: 'dispenserVibration', value: 2.4 });
  });

  it('counts a pipeline batch that throws, shows it on /healthz and in the metrics, and runs the next batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-failing-pipeline-'));
    const module = join(dir, 'failing.mjs');
    writeFileSync(
      module,
      `export default (readings, { emitAlert }) => readings.foreachRDD(async (rdd) => {
        for (const r of await rdd.collect()) {
          if (r.value < 0) throw new Error('negative ' + r.metric);
          emitAlert({ rule: 'seen', kind: 'threshold', severity: 'info', deviceId: r.deviceId, metric: r.metric, ts: r.ts, value: r.value, message: 'seen' });
        }
      });`,
    );
    const g = await gateway({ pipelines: [{ module, batchIntervalMs: 100 }] });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'atm-5' });
    await publish(client, 'atm-5', 'cashDispensed', Date.now() - 1000, -1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await publish(client, 'atm-5', 'cashDispensed', Date.now() - 500, 80);
    await client.endAsync();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const health = (await (await fetch(`http://127.0.0.1:${g.ports.ops}/healthz`)).json()) as Record<string, unknown>;
    expect(health.pipelineBatchesFailed).toBe(1);
    expect(health.pipelineLastError).toMatchObject({ module, message: 'negative cashDispensed' });
    const metrics = await (await fetch(`http://127.0.0.1:${g.ports.ops}/metrics`)).text();
    expect(metrics).toContain('fogline_gateway_pipeline_batches_failed_total 1');
    const alerts = await stopAndReadAlerts(g);
    expect(alerts.map((a) => a.value)).toEqual([80]);
  });

  it('a pipeline closes the loop at the edge: a reading over its limit sends the device a command, which it receives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-closed-loop-'));
    const module = join(dir, 'cooling.mjs');
    writeFileSync(
      module,
      `export default (readings, { sendCommand }) => readings.foreachRDD(async (rdd) => {
        for (const r of await rdd.collect()) if (r.metric === 'cabinetTemperature' && r.value > 40) sendCommand(r.deviceId, 'fan', { speed: 'max' });
      });`,
    );
    const g = await gateway({ pipelines: [{ module, batchIntervalMs: 100 }] });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'atm-8' });
    const commands: { name: string; args: unknown }[] = [];
    client.on('message', (_, payload) => commands.push(JSON.parse(payload.toString())));
    await client.subscribeAsync('commands/atm-8', { qos: 1 });
    await publish(client, 'atm-8', 'cabinetTemperature', Date.now() - 500, 44);
    const deadline = Date.now() + 5_000;
    while (commands.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await client.endAsync();
    expect(commands).toMatchObject([{ name: 'fan', args: { speed: 'max' } }]);
    const metrics = await (await fetch(`http://127.0.0.1:${g.ports.ops}/metrics`)).text();
    expect(metrics).toMatch(/fogline_gateway_commands_total\{status="sent"\} 1/);
  });

  it('runs a pipeline on a node-cron schedule instead of its batch interval', async () => {
    const module = fileURLToPath(new URL('../dist/examples/hot-devices-pipeline.js', import.meta.url));
    const g = await gateway({ pipelines: [{ module, batchIntervalMs: 1000, schedule: '* * * * * *' }] });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'atm-3' });
    await publish(client, 'atm-3', 'dispenserVibration', Date.now() - 1000, 2.2);
    await client.endAsync();
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const alerts = await stopAndReadAlerts(g);
    expect(alerts.some((a) => a.rule === 'hot-devices' && a.deviceId === 'atm-3')).toBe(true);
  });

  it('runs rules on QoS 0 readings of the fast path too', async () => {
    const g = await gateway({ rules: [{ kind: 'threshold', name: 'too-hot', metric: 'temp', above: 30 }] });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'q0' });
    await client.publishAsync('telemetry/q0/temp', JSON.stringify({ ts: Date.now() - 1000, value: 40 }), { qos: 0 });
    await client.publishAsync('telemetry/q0/temp', JSON.stringify({ ts: Date.now() - 900, value: 20 }), { qos: 1 });
    await client.endAsync();
    expect((await stopAndReadAlerts(g)).map((a) => a.value)).toEqual([40]);
  });

  it('keeps the dead-letter store at deadLettersMax, dropping the oldest and counting the drops', async () => {
    const g = await gateway({ ingest: { deadLettersMax: 3 } });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'noisy' });
    for (let i = 0; i < 5; i++) await client.publishAsync('telemetry/noisy', `garbage ${i}`, { qos: 1 });
    await client.endAsync();
    expect(g.health()).toMatchObject({ deadLetters: 3 });
    const metrics = await (await fetch(`http://127.0.0.1:${g.ports.ops}/metrics`)).text();
    expect(metrics).toContain('fogline_gateway_dead_letters_dropped_total 2');
    // A publish with no reading in it is acknowledged at once and its dead letter written just
    // after (nothing of it needs the durable log): read the store once those writes have landed.
    const newest = async () => (await g.deadLetters.latest(10)).map((d) => Buffer.from(d.payloadHead, 'base64').toString());
    await expect.poll(newest, { timeout: 5000 }).toEqual(['garbage 4', 'garbage 3', 'garbage 2']);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RddContext } from '@fogline/shared';
import { Level } from 'level';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MaintenanceService } from '../maintenance/maintenance-service.js';
import { createCloudMetrics } from '../ops/cloud-metrics.js';
import { RateMeter } from '../ops/rate-meter.js';
import type { CloudStore } from '../store/cloud-store.js';
import { openLevelCloudStore } from '../store/level/level-cloud-store.js';
import { envelope, fixtureWindow, partitionTopic } from '../testing/envelope-fixture.js';
import { createApi } from './api.js';
import { LiveEvents } from './live-events.js';

const rdd = new RddContext({ defaultParallelism: 2 });
afterAll(() => rdd.stop());
const open: CloudStore[] = [];
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

/** A store with two gateways, their registries and status records, and an API over it. */
async function stack(
  options: { tokens?: { read?: string; admin?: string }; live?: { clientsMax: number; pendingEventsMax: number } } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'fogline-api-'));
  const store = await openLevelCloudStore(dir, 'process', 'test');
  open.push(store);
  const metrics = createCloudMetrics();
  const readingsRate = new RateMeter(60);
  store.events.on('merged', ({ readings }) => readingsRate.add(readings));
  await store.partitions.apply(
    partitionTopic('gw-a'),
    envelope('gw-a', 0, [
      ['atm-1', 'temp', [20, 21, 22]],
      ['atm-1', 'temp2', [1]],
      ['atm-1', 'temp.x', [2]],
      ['atm-2', 'temp', [30]],
    ]),
  );
  await store.partitions.apply(partitionTopic('gw-b'), envelope('gw-b', 0, [['motor-1', 'vibration', [0.1, 0.2, 0.3, 0.4]]]));
  await store.registry.putDevices('gw-a', {
    'atm-1': { site: 'lisbon', model: 'ATM-9000' },
    'atm-2': { site: 'lisbon', model: 'ATM-9000' },
  });
  await store.registry.putDevices('gw-b', { 'motor-1': { site: 'porto', model: 'IM-55kW' } });
  await store.registry.putStatus('gw-a', { online: true, connectedDevices: 2, bytesReceivedFromDevices: 10_000, bytesForwarded: 500 });
  await store.registry.putStatus('gw-b', { online: false, connectedDevices: 0, bytesReceivedFromDevices: 6_000, bytesForwarded: 1_100 });
  await store.registry.putStatus('gw-new', { online: true, connectedDevices: 0 }); // no partition yet
  const live = new LiveEvents(options.live ?? { clientsMax: 10, pendingEventsMax: 100 }, metrics);
  const maintenance = new MaintenanceService(store, rdd, pino({ level: 'silent' }));
  const app = createApi({ store, rdd, metrics, broker: () => ({}), maintenance, readingsRate, live, tokens: options.tokens });
  /** An API answer; T says what a test reads of it. */
  const get = async <T = Record<string, unknown>>(path: string, headers: Record<string, string> = {}) => {
    const response = await app.request(path, { headers });
    return { status: response.status, body: (await response.json()) as T & { errors: string[] } };
  };
  return { app, store, dir, metrics, live, get };
}

/** Reads server-sent events from a response body until `count` have arrived. */
async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<{ event: string; data: unknown }[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let text = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    for (let end = text.indexOf('\n\n'); end !== -1; end = text.indexOf('\n\n')) {
      const lines = text.slice(0, end).split('\n');
      text = text.slice(end + 2);
      const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      events.push({ event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') });
    }
  }
  await reader.cancel();
  return events;
}

describe('the HTTP API', () => {
  it('gives the fleet overview from the gateways, their registries and status records', async () => {
    const { get } = await stack();
    const { body } = await get<{ readings: { perSecond: number } }>('/api/v1/overview');
    expect(body).toMatchObject({
      gateways: { total: 3, online: 2 },
      devices: { registered: 3, connected: 2 },
      readings: { total: 10, latestWindowEndMs: fixtureWindow.windowEndMs },
      bandwidth: { bytesFromDevices: 16_000, bytesForwarded: 1_600, savedRatio: 0.9 },
      risk: { scoredAtMs: 0, devicesScored: 0, devicesAlerting: 0 },
    });
    // Ten readings merged since the meter started: ten over the whole seconds elapsed (one, or two
    // when the merges straddled a second's boundary).
    const seconds = 10 / body.readings.perSecond;
    expect(seconds).toBe(Math.round(seconds));
    expect(seconds).toBeGreaterThanOrEqual(1);
  });

  it('lists the cloud nodes over its store: with the embedded store, this one, up and leading', async () => {
    const { get, store } = await stack();
    await store.cluster.start(() => ({ intake: 'embedded' }));
    const { body } = await get<{ self: string; up: number; nodes: { nodeId: string; state: string; leader: boolean; pid: number }[] }>(
      '/api/v1/cluster',
    );
    expect(body).toMatchObject({
      self: 'test',
      up: 1,
      nodes: [{ nodeId: 'test', state: 'up', leader: true, pid: process.pid, detail: { intake: 'embedded' } }],
    });
  });

  it('lists devices by prefix, a device with its metrics, and every metric name', async () => {
    const { app, get, store, dir } = await stack();
    expect((await get('/api/v1/devices?prefix=atm-')).body).toEqual({
      total: 2,
      devices: [
        { deviceId: 'atm-1', gatewayId: 'gw-a', labels: { site: 'lisbon', model: 'ATM-9000' } },
        { deviceId: 'atm-2', gatewayId: 'gw-a', labels: { site: 'lisbon', model: 'ATM-9000' } },
      ],
    });
    expect((await get<{ devices: unknown[] }>('/api/v1/devices?limit=1')).body.devices).toHaveLength(1);
    expect((await get('/api/v1/devices?limit=0')).body.errors[0]).toMatch(/limit/);
    // temp, temp.x and temp2 share a prefix: each is found once, none is skipped.
    expect((await get('/api/v1/devices/atm-1')).body).toEqual({
      deviceId: 'atm-1',
      gatewayId: 'gw-a',
      labels: { site: 'lisbon', model: 'ATM-9000' },
      metrics: ['temp', 'temp.x', 'temp2'],
    });
    expect(await get('/api/v1/devices/atm-9')).toMatchObject({ status: 404, body: { error: expect.stringContaining('atm-9') } });
    expect((await get('/api/v1/metric-names')).body).toEqual({ metrics: ['temp', 'temp.x', 'temp2', 'vibration'], unlisted: 0 });
    // The earlier name answers the same, and says it is deprecated and what replaces it.
    const alias = await app.request('/api/v1/metrics');
    expect(await alias.json()).toEqual({ metrics: ['temp', 'temp.x', 'temp2', 'vibration'], unlisted: 0 });
    expect([alias.headers.get('deprecation'), alias.headers.get('link')]).toEqual([
      'true',
      '</api/v1/metric-names>; rel="successor-version"',
    ]);
    // A store from before the list was kept: the names are found again in the day rollups.
    await store.close();
    open.splice(open.indexOf(store), 1);
    const db = new Level<string, Uint8Array>(join(dir, 'cloud.db'), { valueEncoding: 'view' });
    await db.sublevel('metric-names').clear();
    await db.close();
    const reopened = await openLevelCloudStore(dir, 'process', 'test');
    open.push(reopened);
    expect((await reopened.series.metricNames()).names).toEqual(['temp', 'temp.x', 'temp2', 'vibration']);
  });

  it('adds the quantiles asked for to each fleet group, and names a bad list', async () => {
    const { get } = await stack();
    const { body } = await get<{ groups: Record<string, { quantiles: [number, number][] }> }>(
      '/api/v1/fleet?metric=temp&groupBy=site&quantiles=0,0.5,1',
    );
    expect(body.groups.lisbon.quantiles.map(([q]) => q)).toEqual([0, 0.5, 1]);
    expect(body.groups.lisbon.quantiles[0][1]).toBe(20);
    expect(body.groups.lisbon.quantiles[2][1]).toBe(30);
    expect(body.groups.lisbon.quantiles[1][1]).toBeCloseTo(21, 0);
    const bad = await get('/api/v1/fleet?metric=temp&quantiles=0.5,2');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/quantiles.*"0.5,2".*up to 101 comma-separated numbers from 0 to 1/);
  });

  it('evaluates against ground truth only when it is readable and holds failures', async () => {
    const { app } = await stack();
    const post = async (body: string) => {
      const response = await app.request('/api/v1/maintenance/evaluate', { method: 'POST', body });
      return { status: response.status, body: (await response.json()) as { errors?: string[]; models?: unknown[] } };
    };
    const failure = JSON.stringify({ event: 'failure', deviceId: 'atm-1', ts: 1 });
    expect(await post(`${failure}\n{"event":"failure"}\nnot json\n`)).toEqual({
      status: 400,
      body: {
        errors: [
          expect.stringMatching(
            /^ground truth: line 2 was \{"event":"failure"\}, expected \{"event", "deviceId", "ts" \(epoch ms\)\}; line 3 is not JSON/,
          ),
        ],
      },
    });
    expect(await post(JSON.stringify({ event: 'repair', deviceId: 'atm-1', ts: 1 }))).toEqual({
      status: 400,
      body: { errors: ['the ground truth holds no failure to score against'] },
    });
    expect(await post(failure)).toEqual({ status: 200, body: { models: [] } }); // nothing trained yet
  });

  it('asks for the token, and takes it as access_token on the events stream only', async () => {
    const token = 'a-test-token-of-24-chars';
    const { app, get } = await stack({ tokens: { admin: token } });
    expect((await get('/api/v1/overview')).status).toBe(401);
    expect((await get(`/api/v1/overview?access_token=${token}`)).status).toBe(401);
    expect((await get('/api/v1/overview', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await app.request('/api/v1/events?access_token=wrong-token-of-24-chars!')).status).toBe(401);
    const events = await app.request(`/api/v1/events?access_token=${token}`);
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await readEvents(events.body as ReadableStream<Uint8Array>, 1)).toMatchObject([{ event: 'overview' }]);
    // The dashboard itself is public: it asks for the token when the API refuses it.
    expect((await app.request('/')).status).toBe(200);
  });

  it('acknowledges, then resolves an alert; the list shows each state and filters by it; resolved is final', async () => {
    const { app, store } = await stack();
    const alert = (seq: number, deviceId: string) =>
      Buffer.from(
        JSON.stringify({ gatewayId: 'gw-a', seq, id: `gw-a/hot/${deviceId}/temp/${seq}`, rule: 'hot', deviceId, severity: 'critical' }),
      );
    await store.alerts.apply('gw-a', alert(1, 'atm-1'));
    await store.alerts.apply('gw-a', alert(2, 'atm-2'));
    const post = async (path: string, body: unknown) => {
      const response = await app.request(`/api/v1/alerts/${path}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const list = async (status = '') =>
      (
        (await (await app.request(`/api/v1/alerts${status && `?status=${status}`}`)).json()) as {
          alerts: { id: string; state: { status: string } }[];
        }
      ).alerts;
    expect((await list()).map((a) => a.state.status)).toEqual(['open', 'open']);
    const acked = await post('ack', { id: 'gw-a/hot/atm-1/temp/1', by: 'ana' });
    expect(acked).toMatchObject({ status: 200, body: { id: 'gw-a/hot/atm-1/temp/1', state: { status: 'acknowledged', by: 'ana' } } });
    expect((await list('acknowledged')).map((a) => a.id)).toEqual(['gw-a/hot/atm-1/temp/1']);
    expect((await list('open')).map((a) => a.id)).toEqual(['gw-a/hot/atm-2/temp/2']);
    await post('resolve', { id: 'gw-a/hot/atm-1/temp/1', by: 'ana', note: 'fan replaced' });
    expect((await list('resolved'))[0].state).toMatchObject({ status: 'resolved', note: 'fan replaced' });
    expect(await post('ack', { id: 'gw-a/hot/atm-1/temp/1' })).toMatchObject({ status: 409 });
    expect(await post('ack', { by: 'ana' })).toMatchObject({ status: 400, body: { errors: ['id was missing, expected a string'] } });
  });

  it('keeps the read token to reads: writes need the admin token (403 for the read token, 401 for none)', async () => {
    const read = 'a-read-token-of-24-chars';
    const admin = 'an-admin-token-of-25-char';
    const { app } = await stack({ tokens: { read, admin } });
    const call = (path: string, token?: string, method = 'GET') =>
      app.request(path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await call('/api/v1/overview', read)).status).toBe(200);
    expect((await call('/api/v1/overview', admin)).status).toBe(200);
    expect((await call('/api/v1/overview')).status).toBe(401);
    const refused = await call('/api/v1/maintenance/train', read, 'POST');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toMatch(/needs the admin token/);
    expect((await call('/api/v1/maintenance/train', admin, 'POST')).status).toBe(200);
    expect((await call('/api/v1/lake/export', read, 'POST')).status).toBe(403);
    expect((await call('/api/v1/alerts/ack', read, 'POST')).status).toBe(403);
    // A route with a parameter: sending a command is a write, reading a device's commands is not.
    expect((await call('/api/v1/devices/atm-1/commands', read, 'POST')).status).toBe(403);
    expect((await call('/api/v1/devices/atm-1/commands', read)).status).toBe(404); // no command service in this app: read passes the token check
    // SQL is read-only: the read token runs it.
    const sql = await app.request('/api/v1/sql', {
      method: 'POST',
      headers: { authorization: `Bearer ${read}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'SELECT 1 AS one' }),
    });
    expect(sql.status).toBe(200);
    expect((await call('/api/v1/openapi.json')).status).toBe(200);
  });

  it('streams the overview first, then live events, to at most clientsMax dashboards', async () => {
    const { app, live, metrics } = await stack({ live: { clientsMax: 1, pendingEventsMax: 100 } });
    const first = await app.request('/api/v1/events');
    const reading = readEvents(first.body as ReadableStream<Uint8Array>, 2);
    await expect.poll(() => live.clientCount).toBe(1);
    const refused = await app.request('/api/v1/events');
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toMatch(/1 dashboards are connected \(http.liveClientsMax\)/);
    live.publish('alert', { deviceId: 'atm-1', rule: 'hot' });
    const [overview, alert] = await reading;
    expect(overview).toMatchObject({ event: 'overview', data: { gateways: { total: 3 } } });
    expect(alert).toEqual({ event: 'alert', data: { deviceId: 'atm-1', rule: 'hot' } });
    await expect.poll(() => live.clientCount).toBe(0); // the reader went away
    expect((await metrics.registry.getSingleMetricAsString('fogline_cloud_live_refused_total')).trim().split('\n').pop()).toBe(
      'fogline_cloud_live_refused_total 1',
    );
  });

  it('disconnects a dashboard that stops reading, and counts it', async () => {
    const { app, live, metrics } = await stack({ live: { clientsMax: 5, pendingEventsMax: 3 } });
    const stalled = await app.request('/api/v1/events'); // never read
    await expect.poll(() => live.clientCount).toBe(1);
    for (let i = 0; i < 20; i++) live.publish('overview', { filler: 'x'.repeat(100_000), i });
    expect(live.clientCount).toBe(0);
    expect((await metrics.registry.getSingleMetricAsString('fogline_cloud_live_dropped_total')).trim().split('\n').pop()).toBe(
      'fogline_cloud_live_dropped_total 1',
    );
    await stalled.body?.cancel().catch(() => {});
  });

  it('serves the dashboard, its scripts and uPlot, and nothing outside them', async () => {
    const { app } = await stack();
    const page = await app.request('/');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('fleet dashboard');
    for (const asset of ['/assets/dashboard.css', '/assets/app/main.js', '/assets/uplot/uPlot.esm.js']) {
      expect({ asset, status: (await app.request(asset)).status }).toEqual({ asset, status: 200 });
    }
    for (const outside of ['/assets/../package.json', '/assets/%2e%2e/package.json', '/assets/uplot/../../../package.json']) {
      expect({ outside, status: (await app.request(outside)).status }).toEqual({ outside, status: 404 });
    }
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RddContext } from '@fogline/shared';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, describe, expect, it } from 'vitest';
import { createCloudMetrics } from '../ops/cloud-metrics.js';
import { openLevelCloudStore } from '../store/level/level-cloud-store.js';
import { envelope, fixtureWindow, partitionTopic } from '../testing/envelope-fixture.js';
import { createApi } from './api.js';

const rdd = new RddContext({ defaultParallelism: 1 });
const store = await openLevelCloudStore(mkdtempSync(join(tmpdir(), 'fogline-openapi-')), 'process', 'test');
afterAll(async () => {
  await store.close();
  await rdd.stop();
});
const token = 'a-token-of-sixteen-chars';
const app = createApi({ store, rdd, metrics: createCloudMetrics(), broker: () => ({}), tokens: { admin: token } });
const auth = { authorization: `Bearer ${token}` };
const json = async (path: string, headers: Record<string, string> = auth) => {
  const response = await app.request(path, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('the API describes itself', () => {
  it('serves an OpenAPI 3.1 document that validates, without the token', async () => {
    const { status, body } = await json('/api/v1/openapi.json', {});
    expect(status).toBe(200);
    const result = await new Validator().validate(body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((await app.request('/api/v1/docs')).headers.get('content-type')).toContain('text/html');
  });

  it('documents every route the app has, and no route it lacks', async () => {
    const document = (await json('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect([...new Set(served)].sort()).toEqual(documented.sort());
  });

  it("takes its query parameters from the routes' own schemas", async () => {
    const document = (await json('/api/v1/openapi.json')).body as {
      paths: Record<string, { get: { parameters: { name: string; required: boolean; schema: { enum?: string[] } }[] } }>;
    };
    const series = document.paths['/api/v1/series'].get.parameters;
    expect(series.map((p) => [p.name, p.required])).toEqual([
      ['deviceId', true],
      ['metric', true],
      ['from', false],
      ['to', false],
      ['step', false],
    ]);
    expect(series.find((p) => p.name === 'step')?.schema.enum).toEqual(['window', 'hour', 'day']);
    expect(document.paths['/api/v1/devices/{deviceId}'].get.parameters).toEqual([
      { name: 'deviceId', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('checks the token on the data routes, the right one passing and a wrong one of any length refused', async () => {
    expect((await json('/api/v1/health', {})).status).toBe(401);
    expect((await json('/api/v1/health', { authorization: `Bearer ${token}x` })).status).toBe(401);
    expect((await json('/api/v1/health', { authorization: 'Bearer ' })).status).toBe(401);
    expect((await json('/api/v1/health', { authorization: token })).status).toBe(401);
    expect((await json('/api/v1/health')).status).toBe(200);
  });

  it('takes times as ISO-8601 as well as epoch milliseconds, and names a time without its offset', async () => {
    await store.partitions.apply(partitionTopic('gw'), envelope('gw', 0, [['atm-1', 't', [1, 2]]]));
    const start = new Date(fixtureWindow.windowStartMs).toISOString();
    const byIso = await json(`/api/v1/series?deviceId=atm-1&metric=t&from=${start}&to=${encodeURIComponent('2100-01-01T00:00:00+01:00')}`);
    const byEpoch = await json(`/api/v1/series?deviceId=atm-1&metric=t&from=${fixtureWindow.windowStartMs}`);
    expect(byIso.body.points).toEqual(byEpoch.body.points);
    expect((byIso.body.coverage as { fromMs: number }).fromMs).toBe(fixtureWindow.windowStartMs);
    expect((byIso.body.points as unknown[]).length).toBe(1);
    const later = await json(`/api/v1/series?deviceId=atm-1&metric=t&from=${new Date(fixtureWindow.windowStartMs + 1).toISOString()}`);
    expect(later.body.points).toEqual([]);
    const local = await json('/api/v1/series?deviceId=atm-1&metric=t&from=2026-11-24T08:00:00');
    expect(local).toEqual({
      status: 400,
      body: {
        errors: [
          'from was "2026-11-24T08:00:00", expected epoch milliseconds, or an ISO-8601 date or date-time with its offset (2026-11-24T08:00:00Z)',
        ],
      },
    });
  });
});

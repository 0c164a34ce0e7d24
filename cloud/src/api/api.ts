import { describeIssues, type MetricState, type RddContext } from '@fogline/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import type { IntakeStore } from '../intake/intake-store.js';
import type { MaintenanceService } from '../maintenance/maintenance-service.js';
import type { CloudMetrics } from '../ops/cloud-metrics.js';

export interface ApiDeps {
  readonly store: IntakeStore;
  readonly rdd: RddContext;
  readonly metrics: CloudMetrics;
  /** Bearer token for /api/v1; undefined leaves the API open. */
  readonly token?: string;
  readonly broker: () => Record<string, unknown>;
  /** Predictive maintenance; without it the /maintenance routes answer 404. */
  readonly maintenance?: MaintenanceService;
}

const epochMs = z.coerce.number().int('epoch milliseconds').min(0, 'epoch milliseconds');
const seriesQuery = z.strictObject({
  deviceId: z.string().min(1),
  metric: z.string().min(1),
  from: epochMs.default(0),
  to: epochMs.default(Number.MAX_SAFE_INTEGER),
  step: z.enum(['window', 'hour', 'day']).default('window'),
});
const fleetQuery = z.strictObject({
  metric: z.string().min(1),
  from: epochMs.default(0),
  to: epochMs.default(Number.MAX_SAFE_INTEGER),
  groupBy: z
    .string()
    .regex(/^(fleet|gateway|device|site|model|label:[A-Za-z0-9_.-]+)$/, 'fleet, gateway, device, site, model or label:<name>')
    .default('fleet'),
});
const alertsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000, 'at most 1000').default(100) });

/** The figures of a state, as the API returns them. */
function figures(state: MetricState) {
  const s = state.summary();
  return {
    count: s.count,
    sum: s.sum,
    mean: s.mean,
    min: s.min,
    max: s.max,
    variance: s.variance,
    stddev: s.stddev,
    p50: s.p50,
    p95: s.p95,
    p99: s.p99,
  };
}

/**
 * The HTTP API, versioned under /api/v1, with /healthz and /metrics beside it. Hono: small,
 * typed, and testable in-process with app.request() and no server.
 *
 *   GET /api/v1/health
 *   GET /api/v1/gateways
 *   GET /api/v1/series?deviceId=atm-001&metric=cabinet_temp_c&from=<ms>&to=<ms>&step=window|hour|day
 *   GET /api/v1/fleet?metric=vibration_rms_g&groupBy=site&from=<ms>&to=<ms>
 *   GET /api/v1/alerts?limit=100
 */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const parse = <T extends z.ZodType>(
    schema: T,
    query: Record<string, string>,
  ): { ok: true; value: z.output<T> } | { ok: false; errors: string[] } => {
    const result = schema.safeParse(query);
    return result.success ? { ok: true, value: result.data } : { ok: false, errors: describeIssues(query, result.error.issues) };
  };

  app.get('/healthz', (c) => c.json({ status: 'ok', broker: deps.broker() }));
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );

  app.use('/api/v1/*', async (c, next) => {
    if (deps.token !== undefined && c.req.header('authorization') !== `Bearer ${deps.token}`) {
      return c.json({ error: 'missing or wrong bearer token: send Authorization: Bearer <http.token>' }, 401);
    }
    await next();
  });

  app.get('/api/v1/health', (c) => c.json({ status: 'ok', broker: deps.broker() }));

  app.get('/api/v1/gateways', async (c) => {
    const gateways = await deps.store.gatewayList();
    return c.json({
      gateways: await Promise.all(gateways.map(async (g) => ({ ...g, status: (await deps.store.statusOf(g.gatewayId)) ?? null }))),
    });
  });

  app.get('/api/v1/series', async (c) => {
    const query = parse(seriesQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    const { deviceId, metric, from, to, step } = query.value;
    const points = await deps.store.series(deviceId, metric, from, to, step);
    return c.json({
      deviceId,
      metric,
      points: points.map((p) => ({ windowStartMs: p.windowStartMs, windowEndMs: p.windowEndMs, ...figures(p.state) })),
    });
  });

  const riskQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(50) });
  app.get('/api/v1/maintenance/models', async (c) => {
    if (!deps.maintenance) return c.json({ error: 'predictive maintenance is not running' }, 404);
    return c.json({ models: await deps.maintenance.models() });
  });
  app.get('/api/v1/maintenance/risk', (c) => {
    if (!deps.maintenance) return c.json({ error: 'predictive maintenance is not running' }, 404);
    const query = parse(riskQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    return c.json(deps.maintenance.risk(query.value.limit));
  });
  app.get('/api/v1/maintenance/devices/:deviceId', (c) => {
    const risk = deps.maintenance?.deviceRisk(c.req.param('deviceId'));
    return risk
      ? c.json(risk)
      : c.json({ error: `no risk score for device ${c.req.param('deviceId')} (no model for its kind, or no recent data)` }, 404);
  });
  app.post('/api/v1/maintenance/train', async (c) => {
    if (!deps.maintenance) return c.json({ error: 'predictive maintenance is not running' }, 404);
    const { trained, skipped } = await deps.maintenance.train();
    return c.json({
      trained: trained.map((m) => ({ kind: m.kind, trainedAtMs: m.trainedAtMs, data: m.data, validation: m.validation })),
      skipped,
    });
  });

  app.get('/api/v1/fleet', async (c) => {
    const query = parse(fleetQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    const { metric, from, to, groupBy } = query.value;
    const devices = await deps.store.devices();
    const label = groupBy.startsWith('label:') ? groupBy.slice(6) : groupBy;
    const groupOf = (deviceId: string): string => {
      if (groupBy === 'fleet') return 'fleet';
      if (groupBy === 'device') return deviceId;
      const device = devices.get(deviceId);
      if (groupBy === 'gateway') return device?.gatewayId ?? 'unknown';
      return device?.labels[label] ?? 'unknown';
    };
    const groups = await deps.store.fleet(deps.rdd, metric, from, to, groupOf);
    return c.json({
      metric,
      groupBy,
      groups: Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, state]) => [name, figures(state)])),
    });
  });

  app.get('/api/v1/alerts', async (c) => {
    const query = parse(alertsQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    return c.json({ alerts: await deps.store.alertList(query.value.limit) });
  });

  app.notFound((c) =>
    c.json({ error: `no route ${c.req.method} ${c.req.path}; see /api/v1/health, /gateways, /series, /fleet, /alerts` }, 404),
  );
  return app;
}

import type { RddContext } from '@fogline/shared';
import { Hono } from 'hono';
import type { CommandService } from '../commands/command-service.js';
import { addDashboardRoutes } from '../dashboard/dashboard-routes.js';
import type { MaintenanceService } from '../maintenance/maintenance-service.js';
import type { CloudMetrics } from '../ops/cloud-metrics.js';
import { RateMeter } from '../ops/rate-meter.js';
import type { CloudStore } from '../store/cloud-store.js';
import { fleetGroupingOf } from '../store/fleet-grouping.js';
import { addAlertStateRoutes } from './alert-state-routes.js';
import { type ApiTokens, bearerCheck } from './bearer-token.js';
import { addClusterRoutes } from './cluster-routes.js';
import { addCommandRoutes } from './command-routes.js';
import { coverageAt, fleetCoverage, type RetentionDays, retentionDefaults } from './coverage.js';
import { addDocsRoutes } from './docs-routes.js';
import { addExportRoutes } from './export-routes.js';
import type { LiveEvents } from './live-events.js';
import { addLiveRoutes } from './live-routes.js';
import { addMaintenanceRoutes } from './maintenance-routes.js';
import { overviewOf } from './overview.js';
import { parseQuery } from './query-parser.js';
import { alertsQuery, deadLettersQuery, devicesQuery, fleetQuery, seriesQuery } from './query-schemas.js';
import { addSqlRoutes, type SqlLimits } from './sql-routes.js';
import { figures } from './state-figures.js';

export interface ApiDeps {
  readonly store: CloudStore;
  readonly rdd: RddContext;
  readonly metrics: CloudMetrics;
  /** Bearer tokens for /api/v1: read (GET routes and SQL) and admin (every route); neither leaves the API open. */
  readonly tokens?: ApiTokens;
  readonly broker: () => Record<string, unknown>;
  /** Predictive maintenance; without it the /maintenance routes answer 404. */
  readonly maintenance?: MaintenanceService;
  /** Readings merged per second, for the overview; a meter nobody feeds reads 0. */
  readonly readingsRate?: RateMeter;
  /** The server-sent-events hub; without it /api/v1/events answers 404. */
  readonly live?: LiveEvents;
  /** Runs the Parquet lake export now; without it POST /api/v1/lake/export answers 404. */
  readonly exportLake?: () => Promise<unknown>;
  /** How long each resolution is kept: fleet queries choose theirs by it, and answers say what they cover. */
  readonly retention?: RetentionDays;
  /** Commands down to devices; without it the command routes answer 404. */
  readonly commands?: CommandService;
  /** Limits of /api/v1/sql; the defaults without them. */
  readonly sql?: SqlLimits;
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
 *   GET /api/v1/devices?prefix=atm-&limit=1000
 *   GET /api/v1/devices/:deviceId        labels, gateway and the metrics it has sent
 *   GET /api/v1/metric-names          (was /api/v1/metrics, kept as a deprecated alias)
 * with the overview and live events (live-routes.ts), maintenance (maintenance-routes.ts) and
 * the dashboard at / (dashboard-routes.ts).
 */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const parse = parseQuery;
  const readingsRate = deps.readingsRate ?? new RateMeter();
  const retention = deps.retention ?? retentionDefaults;

  app.get('/healthz', (c) => c.json({ status: 'ok', broker: deps.broker() }));
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );

  app.use('/api/v1/*', bearerCheck(deps.tokens ?? {}));

  app.get('/api/v1/health', (c) => c.json({ status: 'ok', broker: deps.broker() }));

  app.get('/api/v1/gateways', async (c) => {
    const gateways = await deps.store.registry.gatewayList();
    return c.json({
      gateways: await Promise.all(gateways.map(async (g) => ({ ...g, status: (await deps.store.registry.statusOf(g.gatewayId)) ?? null }))),
    });
  });

  app.get('/api/v1/series', async (c) => {
    const query = parse(seriesQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    const { deviceId, metric, from, to, step } = query.value;
    const points = await deps.store.series.series(deviceId, metric, from, to, step);
    return c.json({
      deviceId,
      metric,
      coverage: coverageAt(step, from, to, Date.now(), retention),
      points: points.map((p) => ({ windowStartMs: p.windowStartMs, windowEndMs: p.windowEndMs, ...figures(p.state) })),
    });
  });

  app.get('/api/v1/fleet', async (c) => {
    const query = parse(fleetQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    const { metric, from, to, groupBy, quantiles, resolution } = query.value;
    const nowMs = Date.now();
    const coverage = resolution === 'auto' ? fleetCoverage(from, to, nowMs, retention) : coverageAt(resolution, from, to, nowMs, retention);
    const groups = await deps.store.series.fleet(
      deps.rdd,
      metric,
      coverage.fromMs,
      coverage.toMs,
      fleetGroupingOf(groupBy),
      coverage.resolution,
    );
    return c.json({
      metric,
      groupBy,
      coverage,
      groups: Object.fromEntries(
        [...groups]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, state]) => [
            name,
            quantiles ? { ...figures(state), quantiles: quantiles.map((q) => [q, state.quantile(q)]) } : figures(state),
          ]),
      ),
    });
  });

  app.get('/api/v1/alerts', async (c) => {
    const query = parse(alertsQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    const alerts = await deps.store.alerts.list(query.value.limit);
    const states = await deps.store.alerts.states(alerts.flatMap((a) => (typeof a.id === 'string' ? [a.id] : [])));
    const withStates = alerts.map((alert) => ({ ...alert, state: states.get(alert.id as string) ?? { status: 'open' } }));
    const { status } = query.value;
    return c.json({ alerts: status ? withStates.filter((a) => a.state.status === status) : withStates });
  });
  addAlertStateRoutes(app, deps.store);
  addCommandRoutes(app, parse, deps.commands);

  app.get('/api/v1/dead-letters', async (c) => {
    const query = parse(deadLettersQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    const [dead, kept] = await Promise.all([deps.store.quarantine.deadLetters(), deps.store.quarantine.keptNewer()]);
    const { limit } = query.value;
    const described = (records: { topic: string; reason: string; receivedAtMs?: number; parked?: boolean }[]) =>
      records.slice(-limit).map(({ topic, reason, receivedAtMs, parked }) => ({
        topic,
        reason,
        ...(receivedAtMs !== undefined && { receivedAt: new Date(Number(receivedAtMs)).toISOString() }),
        ...(parked !== undefined && { parked: Boolean(parked) }),
      }));
    return c.json({ deadLetters: described(dead), kept: described(kept), dropped: deps.store.quarantine.dropped });
  });

  app.get('/api/v1/devices', async (c) => {
    const query = parse(devicesQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    const { prefix, limit } = query.value;
    const all = [...(await deps.store.registry.devices())]
      .filter(([deviceId]) => deviceId.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return c.json({
      total: all.length,
      devices: all.slice(0, limit).map(([deviceId, { gatewayId, labels }]) => ({ deviceId, gatewayId, labels })),
    });
  });

  app.get('/api/v1/devices/:deviceId', async (c) => {
    const deviceId = c.req.param('deviceId');
    const [device, metrics] = await Promise.all([deps.store.registry.deviceOf(deviceId), deps.store.series.metricsOf(deviceId)]);
    if (!device && metrics.length === 0) return c.json({ error: `no device ${deviceId} in any gateway's registry or in the store` }, 404);
    return c.json({ deviceId, gatewayId: device?.gatewayId ?? null, labels: device?.labels ?? {}, metrics });
  });

  const metricNames = async () => {
    const { names, unlisted } = await deps.store.series.metricNames();
    return { metrics: names, unlisted };
  };
  app.get('/api/v1/metric-names', async (c) => c.json(await metricNames()));
  // The route's earlier name, easily taken for /metrics (Prometheus): kept for one version, marked deprecated (RFC 9745).
  app.get('/api/v1/metrics', async (c) => {
    c.header('Deprecation', 'true');
    c.header('Link', '</api/v1/metric-names>; rel="successor-version"');
    return c.json(await metricNames());
  });
  addClusterRoutes(app, deps.store.cluster);

  addLiveRoutes(app, () => overviewOf(deps.store, readingsRate, deps.maintenance), deps.live);
  addMaintenanceRoutes(app, parse, deps.maintenance);
  addDashboardRoutes(app);
  addDocsRoutes(app);
  addExportRoutes(app, parse, deps.store);
  addSqlRoutes(app, deps.store, deps.rdd, deps.sql);
  app.post('/api/v1/lake/export', async (c) => {
    if (!deps.exportLake) return c.json({ error: 'this API has no lake to write to' }, 404);
    return c.json({ tables: await deps.exportLake() });
  });

  app.notFound((c) =>
    c.json(
      {
        error: `no route ${c.req.method} ${c.req.path}; see / (the dashboard), /api/v1/docs, /health, /cluster, /overview, /gateways, /devices, /series, /fleet, /export, /alerts, /events, /maintenance/risk, /metric-names`,
      },
      404,
    ),
  );
  return app;
}

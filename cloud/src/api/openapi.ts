import { z } from 'zod';
import {
  alertsQuery,
  commandsQuery,
  deadLettersQuery,
  devicesQuery,
  exportQuery,
  fleetQuery,
  riskQuery,
  seriesQuery,
} from './query-schemas.js';

interface RouteDoc {
  readonly method: 'get' | 'post';
  /** As Hono writes it (:param). */
  readonly path: string;
  readonly summary: string;
  readonly query?: z.ZodObject;
  /** A body the route reads, by media type. */
  readonly body?: { readonly type: string; readonly description: string };
  /** Open to anyone even with tokens set. */
  readonly open?: boolean;
  /** Changes something: only the admin token may call it (the read token gets 403). */
  readonly admin?: boolean;
  /** Kept for one version under an earlier name. */
  readonly deprecated?: boolean;
  readonly produces?: string;
}

/** Every route of the cloud's HTTP server; a test checks the app has no route this misses. */
export const routeDocs: readonly RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness, and the broker or subscription state', open: true },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (text exposition format)', open: true, produces: 'text/plain' },
  { method: 'get', path: '/', summary: 'The fleet dashboard (HTML)', open: true, produces: 'text/html' },
  { method: 'get', path: '/assets/*', summary: "The dashboard's files", open: true, produces: 'application/octet-stream' },
  { method: 'get', path: '/assets/app/*', summary: "The dashboard's scripts", open: true, produces: 'text/javascript' },
  { method: 'get', path: '/assets/uplot/*', summary: 'uPlot, the chart library', open: true, produces: 'text/javascript' },
  { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', open: true },
  { method: 'get', path: '/api/v1/docs', summary: 'This document as a page', open: true, produces: 'text/html' },
  { method: 'get', path: '/api/v1/health', summary: 'Liveness, and the broker or subscription state' },
  { method: 'get', path: '/api/v1/cluster', summary: "The cloud's nodes over this store: up or down, the leader, their intake" },
  { method: 'get', path: '/api/v1/gateways', summary: 'Every gateway known: intake figures, incarnations and its status record' },
  { method: 'get', path: '/api/v1/series', summary: "One device's metric per window, hour or day", query: seriesQuery },
  { method: 'get', path: '/api/v1/fleet', summary: 'A metric merged over the fleet, per group', query: fleetQuery },
  {
    method: 'get',
    path: '/api/v1/alerts',
    summary: 'The newest alerts first, each with its state (open, acknowledged, resolved)',
    query: alertsQuery,
  },
  {
    method: 'post',
    path: '/api/v1/alerts/ack',
    summary: 'Acknowledge an alert: seen, being handled',
    body: { type: 'application/json', description: '{"id": "<alert id>", "by": "<who>", "note": "..."}' },
    admin: true,
  },
  {
    method: 'post',
    path: '/api/v1/alerts/resolve',
    summary: 'Resolve an alert (final)',
    body: { type: 'application/json', description: '{"id": "<alert id>", "by": "<who>", "note": "..."}' },
    admin: true,
  },
  {
    method: 'get',
    path: '/api/v1/dead-letters',
    summary: 'Messages from gateways the intake could not read (oldest first, with the reason), and messages kept aside',
    query: deadLettersQuery,
  },
  {
    method: 'get',
    path: '/api/v1/export',
    summary: 'Every state of windows, hours or days in a time range, streamed as CSV or NDJSON',
    query: exportQuery,
    produces: 'text/csv',
  },
  {
    method: 'post',
    path: '/api/v1/sql',
    summary: 'A read-only SQL query (SELECT) over windows, hours, days, devices, alerts, risk and archive; rows as JSON or CSV',
    body: { type: 'application/json', description: '{"query": "SELECT ...", "format": "json" | "csv", "rowsMax": n}' },
  },
  {
    method: 'post',
    path: '/api/v1/lake/export',
    summary: "Write the new and changed days of every table to the cloud's Parquet lake now; answers what it wrote",
    admin: true,
  },
  { method: 'get', path: '/api/v1/sql/tables', summary: 'The tables SQL can read, with their columns and types' },
  { method: 'get', path: '/api/v1/devices', summary: "Devices in the gateways' registries", query: devicesQuery },
  { method: 'get', path: '/api/v1/devices/:deviceId', summary: 'A device: its gateway, labels and the metrics it has sent' },
  {
    method: 'post',
    path: '/api/v1/devices/:deviceId/commands',
    summary: 'Send a command to a device, through its gateway (202 with the command and its id; status queued)',
    body: { type: 'application/json', description: '{"name": "service", "args": {...}, "expiresInMs": 3600000}' },
    admin: true,
  },
  {
    method: 'get',
    path: '/api/v1/devices/:deviceId/commands',
    summary: "A device's commands, newest first, each with its status",
    query: commandsQuery,
  },
  {
    method: 'get',
    path: '/api/v1/commands/:commandId',
    summary: 'A command and where it stands: queued, sent, delivered, acknowledged, expired or failed',
  },
  { method: 'get', path: '/api/v1/metric-names', summary: 'Every metric name merged so far (not the Prometheus metrics: see /metrics)' },
  {
    method: 'get',
    path: '/api/v1/metrics',
    summary: 'The earlier name of /api/v1/metric-names, kept for one version',
    deprecated: true,
  },
  { method: 'get', path: '/api/v1/overview', summary: 'The fleet at a glance' },
  {
    method: 'get',
    path: '/api/v1/events',
    summary: 'Server-sent events: overview, alert, risk (the token may come as ?access_token=)',
    produces: 'text/event-stream',
  },
  { method: 'get', path: '/api/v1/maintenance/models', summary: 'The trained maintenance models, one per kind of device' },
  { method: 'get', path: '/api/v1/maintenance/risk', summary: 'Devices ranked by their risk of failing within 24 h', query: riskQuery },
  { method: 'get', path: '/api/v1/maintenance/devices/:deviceId', summary: "A device's risk and what drives it" },
  { method: 'post', path: '/api/v1/maintenance/train', summary: 'Train the models now', admin: true },
  {
    method: 'post',
    path: '/api/v1/maintenance/evaluate',
    summary: "Score the models on their held-out devices against fogline-sim's ground truth",
    admin: true,
    body: { type: 'text/plain', description: 'the ground-truth JSON lines fogline-sim --truth wrote (at most 64 MiB)' },
  },
];

const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** One query parameter per property of the route's schema, its JSON Schema generated by zod. */
function queryParameters(schema: z.ZodObject) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

function operation(route: RouteDoc) {
  const pathParameters = [...route.path.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const responses: Record<string, unknown> = {
    '200': { description: 'OK', content: { [route.produces ?? 'application/json']: {} } },
  };
  if (route.query || route.body)
    responses['400'] = {
      description: 'A parameter was wrong: each error names it, its value and what was expected',
      content: errorContent,
    };
  if (!route.open)
    responses['401'] = { description: 'Missing or wrong bearer token (http.readToken or http.adminToken)', content: errorContent };
  if (route.admin) responses['403'] = { description: 'The read token was sent: this route needs the admin token', content: errorContent };
  return {
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    parameters: [...pathParameters, ...(route.query ? queryParameters(route.query) : [])],
    ...(route.body && { requestBody: { required: true, description: route.body.description, content: { [route.body.type]: {} } } }),
    responses,
    ...(route.open && { security: [] }),
    ...(route.admin && { security: [{ bearer: ['admin'] }] }),
    ...(route.deprecated && { deprecated: true }),
  };
}

const errorContent = {
  'application/json': {
    schema: { type: 'object', properties: { error: { type: 'string' }, errors: { type: 'array', items: { type: 'string' } } } },
  },
};

/** The API's OpenAPI 3.1 document, generated from the same zod schemas the routes parse with. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routeDocs) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fogline cloud API',
      version,
      description: 'Fleet figures merged exactly once from the gateways, alerts, devices, predictive maintenance.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'http.readToken for reads, http.adminToken for every route' },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/** The routes only the admin token may call, as method and a pattern of the path (:param is one level). */
const adminRoutes = routeDocs
  .filter((route) => route.admin)
  .map((route) => ({ method: route.method.toUpperCase(), path: new RegExp(`^${route.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`) }));

/** Whether a request needs the admin token: its method and path are one of the admin routes'. */
export function isAdminRoute(method: string, path: string): boolean {
  return adminRoutes.some((route) => route.method === method && route.path.test(path));
}

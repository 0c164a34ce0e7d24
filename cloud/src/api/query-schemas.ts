import { z } from 'zod';

/**
 * The query parameters of the API's GET routes, one zod schema each: the routes parse with
 * them, and the OpenAPI document (openapi.ts) is generated from them, so the two cannot drift.
 */

/** An ISO-8601 date, or date-time with its offset (Z or +hh:mm): a time without one would depend on the server's zone. */
const isoDateTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const timeExpected = 'epoch milliseconds, or an ISO-8601 date or date-time with its offset (2026-11-24T08:00:00Z)';

/** A time: epoch milliseconds, or an ISO-8601 date-time with its offset (2026-11-24T08:00:00Z). */
export const timeParameter = z.preprocess(
  (value) => (typeof value === 'string' && !/^\d+$/.test(value) && isoDateTime.test(value) ? Date.parse(value) : value),
  z.coerce.number({ error: timeExpected }).int(timeExpected).min(0, timeExpected),
);

export const seriesQuery = z.strictObject({
  deviceId: z.string().min(1),
  metric: z.string().min(1),
  from: timeParameter.default(0),
  to: timeParameter.default(Number.MAX_SAFE_INTEGER),
  step: z.enum(['window', 'hour', 'day']).default('window'),
});
export const fleetQuery = z.strictObject({
  metric: z.string().min(1),
  from: timeParameter.default(0),
  to: timeParameter.default(Number.MAX_SAFE_INTEGER),
  groupBy: z
    .string()
    .regex(/^(fleet|gateway|device|site|model|label:[A-Za-z0-9_.-]+)$/, 'fleet, gateway, device, site, model or label:<name>')
    .default('fleet'),
  /** auto: windows for a few hours, hour rollups up to a month, day rollups beyond (and the finest still kept at from). */
  resolution: z.enum(['auto', 'window', 'hour', 'day']).default('auto'),
  /** Extra quantiles per group, e.g. 0,0.1,0.5,0.9,1: the dashboard's distribution chart. */
  quantiles: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)(,(0(\.\d+)?|1(\.0+)?)){0,100}$/, 'up to 101 comma-separated numbers from 0 to 1')
    .transform((list) => list.split(',').map(Number))
    .optional(),
});
export const devicesQuery = z.strictObject({
  prefix: z.string().default(''),
  limit: z.coerce.number().int().min(1).max(10_000, 'at most 10000').default(1000),
});
export const alertsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000, 'at most 1000').default(100),
  /** Only alerts in this state, among the newest `limit`. */
  status: z.enum(['open', 'acknowledged', 'resolved']).optional(),
});

/** An operator acknowledging or resolving an alert (the body of POST /api/v1/alerts/ack and /resolve). */
export const alertStateBody = z.strictObject({
  id: z.string().min(1).max(400),
  by: z.string().min(1).max(100).optional(),
  note: z.string().max(2000).optional(),
});

export const deadLettersQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000, 'at most 10000').default(100) });

export const riskQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(50) });

export const exportQuery = z.strictObject({
  table: z.enum(['windows', 'hours', 'days']),
  from: timeParameter.default(0),
  to: timeParameter.default(Number.MAX_SAFE_INTEGER),
  format: z.enum(['csv', 'ndjson']).default('csv'),
});

export const commandsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000, 'at most 1000').default(50) });

import type { Hono } from 'hono';
import { z } from 'zod';
import type { MaintenanceService } from '../maintenance/maintenance-service.js';
import type { QueryParser } from './query-parser.js';

const riskQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(50) });

/**
 *   GET  /api/v1/maintenance/models
 *   GET  /api/v1/maintenance/risk?limit=50
 *   GET  /api/v1/maintenance/devices/:deviceId
 *   POST /api/v1/maintenance/train
 * Without a maintenance service they answer 404.
 */
export function addMaintenanceRoutes(app: Hono, parse: QueryParser, maintenance: MaintenanceService | undefined): void {
  const notRunning = { error: 'predictive maintenance is not running' };
  app.get('/api/v1/maintenance/models', async (c) => {
    if (!maintenance) return c.json(notRunning, 404);
    return c.json({ models: await maintenance.models() });
  });
  app.get('/api/v1/maintenance/risk', (c) => {
    if (!maintenance) return c.json(notRunning, 404);
    const query = parse(riskQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    return c.json(maintenance.risk(query.value.limit));
  });
  app.get('/api/v1/maintenance/devices/:deviceId', (c) => {
    const risk = maintenance?.deviceRisk(c.req.param('deviceId'));
    return risk
      ? c.json(risk)
      : c.json({ error: `no risk score for device ${c.req.param('deviceId')} (no model for its kind, or no recent data)` }, 404);
  });
  app.post('/api/v1/maintenance/train', async (c) => {
    if (!maintenance) return c.json(notRunning, 404);
    const { trained, skipped } = await maintenance.train();
    return c.json({
      trained: trained.map((m) => ({ kind: m.kind, trainedAtMs: m.trainedAtMs, data: m.data, validation: m.validation })),
      skipped,
    });
  });
}

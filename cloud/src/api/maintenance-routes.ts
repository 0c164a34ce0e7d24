import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseTruthLines } from '../maintenance/evaluate-against-truth.js';
import type { MaintenanceService } from '../maintenance/maintenance-service.js';
import type { QueryParser } from './query-parser.js';
import { riskQuery } from './query-schemas.js';

/** The largest ground-truth file the evaluation takes (a month of 10,000 devices is about 20 MB). */
export const truthBytesMax = 64 * 1024 * 1024;

/**
 *   GET  /api/v1/maintenance/models
 *   GET  /api/v1/maintenance/risk?limit=50
 *   GET  /api/v1/maintenance/devices/:deviceId
 *   POST /api/v1/maintenance/train
 *   POST /api/v1/maintenance/evaluate     body: the simulator's ground-truth JSON lines
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
      trained: trained.map((m) => ({
        kind: m.kind,
        trainedAtMs: m.trainedAtMs,
        learner: m.model.learner,
        selection: m.selection,
        data: m.data,
        validation: m.validation,
      })),
      skipped,
    });
  });
  app.post(
    '/api/v1/maintenance/evaluate',
    bodyLimit({
      maxSize: truthBytesMax,
      onError: (c) => c.json({ error: `the ground truth is over ${truthBytesMax} bytes; evaluate a shorter run` }, 413),
    }),
    async (c) => {
      if (!maintenance) return c.json(notRunning, 404);
      let truth: ReturnType<typeof parseTruthLines>;
      try {
        truth = parseTruthLines(await c.req.text());
      } catch (error) {
        return c.json({ errors: [(error as Error).message] }, 400);
      }
      if (!truth.some((r) => r.event === 'failure')) return c.json({ errors: ['the ground truth holds no failure to score against'] }, 400);
      return c.json({ models: await maintenance.evaluate(truth) });
    },
  );
}

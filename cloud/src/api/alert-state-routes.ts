import { describeIssues } from '@fogline/shared';
import type { Context, Hono } from 'hono';
import type { AlertStatus, CloudStore } from '../store/cloud-store.js';
import { alertStateBody } from './query-schemas.js';

/**
 * The acknowledge/resolve cycle: an operator acknowledges an alert (seen, being handled), then
 * resolves it. Resolved is final: acknowledging a resolved alert answers 409.
 *
 *   POST /api/v1/alerts/ack       {"id": "<alert id>", "by": "ana", "note": "..."}
 *   POST /api/v1/alerts/resolve   the same
 *
 * The alert's id travels in the body: it holds slashes (gateway/rule/device/metric/ts).
 */
export function addAlertStateRoutes(app: Hono, store: CloudStore): void {
  const change = (status: Exclude<AlertStatus, 'open'>) => async (c: Context) => {
    const body = await c.req.json().catch(() => undefined);
    const parsed = alertStateBody.safeParse(body);
    if (!parsed.success) return c.json({ errors: describeIssues(body, parsed.error.issues) }, 400);
    const { id, by, note } = parsed.data;
    const current = (await store.alerts.states([id])).get(id);
    if (current?.status === 'resolved' && status === 'acknowledged')
      return c.json({ error: `alert ${id} is already resolved; it cannot be acknowledged again` }, 409);
    const state = { status, by: by ?? null, note: note ?? null, atMs: Date.now() };
    await store.alerts.setState(id, state);
    return c.json({ id, state });
  };
  app.post('/api/v1/alerts/ack', change('acknowledged'));
  app.post('/api/v1/alerts/resolve', change('resolved'));
}

import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { LiveEvents } from './live-events.js';
import type { Overview } from './overview.js';

/**
 *   GET /api/v1/overview   the fleet at a glance (JSON)
 *   GET /api/v1/events     server-sent events: overview, alert, risk
 * A new events client gets the current overview first, so a dashboard never waits for a change.
 */
export function addLiveRoutes(app: Hono, overview: () => Promise<Overview>, live: LiveEvents | undefined): void {
  app.get('/api/v1/overview', async (c) => c.json(await overview()));
  app.get('/api/v1/events', async (c) => {
    if (!live) return c.json({ error: 'live events are not running' }, 404);
    if (!live.admits()) {
      return c.json({ error: `${live.limits.clientsMax} dashboards are connected (http.liveClientsMax); try again later` }, 503);
    }
    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ event: 'overview', data: JSON.stringify(await overview()) });
      await new Promise<void>((resolve) => {
        const unsubscribe = live.subscribe(stream, resolve);
        if (!unsubscribe) return resolve();
        const leave = () => {
          unsubscribe();
          resolve();
        };
        stream.onAbort(leave);
        if (stream.aborted) leave(); // gone while the first overview was written
      });
    });
  });
}

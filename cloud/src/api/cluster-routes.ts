import type { Hono } from 'hono';
import type { ClusterCoordinator } from '../store/cloud-store.js';

/**
 *   GET /api/v1/cluster   the cloud nodes over this store: up or down, which one leads the
 *                         scheduled jobs, and what each reports of its intake
 */
export function addClusterRoutes(app: Hono, cluster: ClusterCoordinator): void {
  app.get('/api/v1/cluster', async (c) => {
    const nodes = await cluster.nodes();
    return c.json({ self: cluster.nodeId, up: nodes.filter((n) => n.state === 'up').length, nodes });
  });
}

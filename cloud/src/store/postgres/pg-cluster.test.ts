import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ScheduledJobs } from '../../cluster/scheduled-jobs.js';
import { freshDatabase, serverPostgresAnswers, serverPostgresUrl } from '../../testing/postgres.js';
import type { CloudStore } from '../cloud-store.js';
import { openPostgresCloudStore } from './pg-cloud-store.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function twoNodes() {
  const database = await freshDatabase();
  cleanups.push(() => database.drop());
  const open = async (nodeId: string) => {
    const store = await openPostgresCloudStore({ url: database.url, poolSize: 2, nodeId });
    cleanups.push(() => store.close());
    await store.cluster.start(() => ({}));
    return store;
  };
  return { url: database.url, a: await open('node-a'), b: await open('node-b') };
}

const leaders = (...stores: CloudStore[]) => stores.filter((s) => s.cluster.isLeader()).map((s) => s.cluster.nodeId);

const server = await serverPostgresAnswers();

describe('the cluster on PostgreSQL: one leader runs the scheduled jobs', () => {
  // Stated reason when skipped: it needs a PostgreSQL server (.ci/run starts one).
  if (!server) it.skip(`needs a PostgreSQL server at ${serverPostgresUrl} (FOGLINE_TEST_PG_URL)`, () => {});
  else
    it('runs a job on one node of two, and hands the lead over when the leader dies', async () => {
      const { url, a, b } = await twoNodes();
      expect(leaders(a, b)).toHaveLength(1);
      const ran: string[] = [];
      const logger = pino({ level: 'silent' });
      for (const store of [a, b])
        await new ScheduledJobs(store.cluster, logger).runIfLeader('retention', async () => ran.push(store.cluster.nodeId));
      expect(ran).toEqual(leaders(a, b));
      const terminate = async (node: CloudStore) => {
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
          `fogline-cloud ${node.cluster.nodeId}`,
        ]);
        await admin.end();
      };
      // The leader's connections drop: its lock goes with its session, and the lead is taken
      // again (by either node: the one that asks first), never by both.
      await terminate(a.cluster.isLeader() ? a : b);
      await expect.poll(() => leaders(a, b).length, { timeout: 10_000, interval: 100 }).toBe(1);
      // The leader dies for good: the other node takes the lead at its next heartbeat.
      const [leader, other] = a.cluster.isLeader() ? [a, b] : [b, a];
      await terminate(leader);
      await leader.cluster.stop();
      await expect.poll(() => leaders(a, b), { timeout: 10_000, interval: 100 }).toEqual([other.cluster.nodeId]);
      const nodes = await other.cluster.nodes();
      expect(nodes.map((n) => [n.nodeId, n.state, n.leader])).toEqual([
        [a.cluster.nodeId, a === other ? 'up' : 'down', a === other],
        [b.cluster.nodeId, b === other ? 'up' : 'down', b === other],
      ]);
    });

  if (server)
    it('shows a node stopped during its heartbeat as down, leading nothing, and the other takes the lead', async () => {
      const { a, b } = await twoNodes();
      const [leader, other] = a.cluster.isLeader() ? [a, b] : [b, a];
      // A heartbeat under way when the node stops (the timer fires every 2 s; here it is made to).
      const beat = (leader.cluster as unknown as { beat(): Promise<void> }).beat();
      await leader.cluster.stop();
      await beat;
      expect(leader.cluster.isLeader()).toBe(false);
      const row = (await other.cluster.nodes()).find((n) => n.nodeId === leader.cluster.nodeId);
      expect(row).toMatchObject({ state: 'down', leader: false });
      await expect.poll(() => leaders(a, b), { timeout: 10_000, interval: 100 }).toEqual([other.cluster.nodeId]);
    });
});

import { afterAll, describe, it } from 'vitest';
import { freshDatabase, serverPostgresAnswers, serverPostgresUrl } from '../../testing/postgres.js';
import { describeCloudStore } from '../store-conformance.js';
import { openPostgresCloudStore } from './pg-cloud-store.js';

const databases: { url: string; drop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
});

let node = 0;
const open = (url: string) => openPostgresCloudStore({ url, poolSize: 4, nodeId: `node-${++node}` });

if (await serverPostgresAnswers()) {
  describeCloudStore('postgres (server)', {
    async fresh() {
      const database = await freshDatabase();
      databases.push(database);
      return { store: await open(database.url), reopen: () => open(database.url) };
    },
    // The suite opens the second node right after fresh(): on the newest database.
    another: async () => open(databases[databases.length - 1].url),
  });
} else {
  describe('cloud store conformance: postgres (server)', () => {
    // Stated reason: this machine runs no PostgreSQL server (.ci/run starts one); the PGlite suite beside this one covers the backend.
    it.skip(`needs a PostgreSQL server at ${serverPostgresUrl} (FOGLINE_TEST_PG_URL)`, () => {});
  });
}

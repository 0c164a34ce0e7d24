import pg from 'pg';
import { afterAll } from 'vitest';
import { pgliteServer } from '../../testing/postgres.js';
import { describeCloudStore } from '../store-conformance.js';
import { openPostgresCloudStore } from './pg-cloud-store.js';

// PGlite is one PostgreSQL backend behind a socket server: it runs everywhere, with no
// server installed. Its connections share that backend, so the store uses a pool of one. One
// server for the file; each test starts from an empty schema.
const server = pgliteServer();
afterAll(async () => (await server).close());

async function emptySchema(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await client.end();
}

describeCloudStore('postgres (PGlite, embedded)', {
  async fresh() {
    const { url } = await server;
    await emptySchema(url);
    const open = () => openPostgresCloudStore({ url, poolSize: 1, nodeId: 'pglite' });
    return { store: await open(), reopen: open };
  },
});

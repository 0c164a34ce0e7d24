import { afterAll } from 'vitest';
import { pgliteServer } from '../../testing/postgres.js';
import { describeCloudStore } from '../store-conformance.js';
import { openPostgresCloudStore } from './pg-cloud-store.js';

// PGlite is one PostgreSQL backend behind a socket server: it runs everywhere, with no
// server installed. Its connections share that backend, so the store uses a pool of one.
const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

describeCloudStore('postgres (PGlite, embedded)', {
  async fresh() {
    const server = await pgliteServer();
    servers.push(server);
    const open = () => openPostgresCloudStore({ url: server.url, poolSize: 1, nodeId: 'pglite' });
    return { store: await open(), reopen: open };
  },
});

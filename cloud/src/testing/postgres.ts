import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: FOGLINE_TEST_PG_URL, else the machine's on
 * 127.0.0.1:5432 (as `.ci/run` starts it). Each test gets a database of its own.
 */
export const serverPostgresUrl = process.env.FOGLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether a PostgreSQL server answers at serverPostgresUrl (within two seconds). */
export async function serverPostgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: serverPostgresUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A new, empty database on the server; drop() removes it (closing what is still connected). */
export async function freshDatabase(prefix = 'fogline_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverPostgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverPostgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverPostgresUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * An embedded PostgreSQL (PGlite, compiled to WebAssembly) behind its socket server on a free
 * port: the backend's suite runs on a machine with no PostgreSQL server. PGlite is one
 * backend: connections share it, so stores opened on it use a pool of one.
 */
export async function pgliteServer(): Promise<{ url: string; close(): Promise<void> }> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 8 });
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres?sslmode=disable`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import { AlertRecordIntake } from '../alert-intake.js';
import type { AlertStatus, CloudStore, IntakeEvents, LiveEvents } from '../cloud-store.js';
import { EnvelopeIntake } from '../partition-merge.js';
import { PgArchive } from './pg-archive.js';
import { PgCommandStore } from './pg-command-store.js';
import { PgKeeping } from './pg-keeping.js';
import { PgMergeBackend } from './pg-merge-backend.js';
import { migrate } from './pg-migrations.js';
import { PartitionMaker } from './pg-partitions.js';
import { PgModelStore, PgRegistryStore } from './pg-registry-store.js';
import { PgSeriesStore } from './pg-series-store.js';
import { PgSession } from './pg-session.js';

export interface PostgresStoreOptions {
  /** postgres://...; unset: the PG* environment variables. */
  readonly url?: string;
  readonly poolSize: number;
  readonly nodeId: string;
  readonly logger?: Logger;
  /** Keep an archive of the envelopes merged (default true). */
  readonly keepArchive?: boolean;
}

/**
 * The PostgreSQL backend: one database shared by every node of a cluster. Migrations are
 * applied at open; the pool is this node's connections (`poolSize`), plus one session of its
 * own for LISTEN and the leader lock.
 */
export async function openPostgresCloudStore(options: PostgresStoreOptions): Promise<CloudStore> {
  // A database that does not answer fails a connection attempt within 10 s, not at the OS's TCP timeout.
  const connection: pg.ClientConfig = {
    connectionString: options.url,
    application_name: `fogline-cloud ${options.nodeId}`,
    connectionTimeoutMillis: 10_000,
  };
  const pool = new pg.Pool({ ...connection, max: options.poolSize });
  // An idle connection that breaks (the database restarted) is dropped by the pool, not thrown.
  pool.on('error', (error) => options.logger?.warn({ error: error.message }, 'an idle PostgreSQL connection was lost'));
  // A connection checked out (a transaction between two queries) has no listener of the pool's:
  // if the database goes away then, its 'error' event would end the process. The query in
  // flight fails on its own, and the intake leaves its message unacknowledged for later.
  const guarded = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', (error) => options.logger?.warn({ error: error.message }, 'a PostgreSQL connection in use was lost'));
  });
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    const where = options.url ? options.url.replace(/\/\/[^@/]*@/, '//***@') : 'the PG* environment';
    throw new Error(`store.url: PostgreSQL at ${where} could not be opened: ${(error as Error).message}`);
  }
  const events = new EventEmitter<IntakeEvents>();
  const live = new EventEmitter<LiveEvents>();
  const partitions = new PartitionMaker();
  const keeping = new PgKeeping(pool);
  const backend = new PgMergeBackend(pool, partitions, keeping, options.keepArchive ?? true);
  const aside = { keepNewer: keeping.keepNewer.bind(keeping), reject: keeping.reject.bind(keeping) };
  const alertIntake = new AlertRecordIntake(backend, aside);
  const session = new PgSession(connection, pool, options.nodeId, live, options.logger);
  return {
    kind: 'postgres',
    partitions: new EnvelopeIntake(backend, aside, events),
    alerts: {
      apply: alertIntake.apply.bind(alertIntake),
      list: async (limit) => {
        const { rows } = await pool.query<{ body: string }>('SELECT body FROM alerts ORDER BY received_ms DESC, id DESC LIMIT $1', [limit]);
        return rows.map((row) => JSON.parse(row.body));
      },
      setState: async (alertId, { status, by, note, atMs }) => {
        await pool.query(
          `INSERT INTO alert_states (alert_id, status, by_name, note, at_ms) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (alert_id) DO UPDATE SET status = $2, by_name = $3, note = $4, at_ms = $5`,
          [alertId, status, by, note, atMs],
        );
      },
      states: async (alertIds) => {
        const { rows } = await pool.query<{
          alert_id: string;
          status: AlertStatus;
          by_name: string | null;
          note: string | null;
          at_ms: string;
        }>('SELECT alert_id, status, by_name, note, at_ms FROM alert_states WHERE alert_id = ANY($1)', [alertIds]);
        return new Map(rows.map((r) => [r.alert_id, { status: r.status, by: r.by_name, note: r.note, atMs: Number(r.at_ms) }]));
      },
    },
    series: new PgSeriesStore(pool, partitions, keeping),
    registry: new PgRegistryStore(pool),
    models: new PgModelStore(pool),
    quarantine: keeping,
    commands: new PgCommandStore(pool),
    cluster: session,
    archive: new PgArchive(options.keepArchive ?? true, pool),
    events,
    live,
    async close() {
      await session.stop();
      await pool.end();
    },
  };
}

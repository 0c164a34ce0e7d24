import type pg from 'pg';

/**
 * The schema, as numbered steps: each is applied once, in order, at start, and recorded in
 * fogline_schema_migrations. Steps are only ever added, never edited: a store written by an
 * older cloud is brought up to date, and a newer cloud's store is refused (not guessed at).
 *
 * States are partitioned by the start of their window, so retention drops whole partitions
 * (pg-partitions.ts creates them as data arrives). The by-metric index carries the device too:
 * with (metric, start_ms) alone, the planner took it for the merge's key lookups and scanned
 * every device of the window for each. JSON the cloud only hands back is kept as
 * text, so it reads back exactly as written; device labels are jsonb, for fleet grouping.
 */
export const migrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE gateways (gateway_id text PRIMARY KEY, stats text);
      CREATE TABLE seen_seqs (
        gateway_id text NOT NULL, incarnation text NOT NULL, mark bigint NOT NULL, above bigint[] NOT NULL,
        PRIMARY KEY (gateway_id, incarnation));
      ${['window', 'hour', 'day']
        .map(
          (resolution) => `
      CREATE TABLE states_${resolution} (
        device_id text NOT NULL, metric text NOT NULL, start_ms bigint NOT NULL, end_ms bigint NOT NULL, state bytea NOT NULL,
        PRIMARY KEY (device_id, metric, start_ms)) PARTITION BY RANGE (start_ms);
      CREATE INDEX states_${resolution}_by_metric ON states_${resolution} (metric, start_ms, device_id);`,
        )
        .join('\n')}
      CREATE TABLE alerts (id bigserial PRIMARY KEY, received_ms bigint NOT NULL, gateway_id text NOT NULL, seq bigint NOT NULL, body text NOT NULL);
      CREATE INDEX alerts_newest ON alerts (received_ms DESC, id DESC);
      CREATE TABLE gateway_status (gateway_id text PRIMARY KEY, status text NOT NULL);
      CREATE TABLE devices (device_id text PRIMARY KEY, gateway_id text NOT NULL, labels jsonb NOT NULL);
      CREATE TABLE models (kind text PRIMARY KEY, model text NOT NULL);
      CREATE TABLE rankings (id int PRIMARY KEY CHECK (id = 1), scored_ms bigint NOT NULL, ranking text NOT NULL);
      CREATE TABLE metric_names (name text PRIMARY KEY);
      CREATE TABLE dead_letters (id bigserial PRIMARY KEY, topic text NOT NULL, reason text NOT NULL, received_ms bigint NOT NULL, head bytea NOT NULL);
      CREATE TABLE kept_messages (
        id bigserial PRIMARY KEY, topic text NOT NULL, reason text NOT NULL, received_ms bigint NOT NULL, bytes bytea NOT NULL,
        parked boolean NOT NULL);
      CREATE TABLE cluster_nodes (
        node_id text PRIMARY KEY, host text NOT NULL, pid int NOT NULL, started_ms bigint NOT NULL, heartbeat_ms bigint NOT NULL,
        leader boolean NOT NULL, detail text NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'envelope archive',
    sql: `
      CREATE TABLE archive (
        id bigserial NOT NULL, received_ms bigint NOT NULL, gateway_id text NOT NULL, topic text NOT NULL, bytes bytea NOT NULL,
        PRIMARY KEY (received_ms, id));
    `,
  },
  {
    version: 3,
    name: 'alert states',
    sql: `
      CREATE TABLE alert_states (
        alert_id text PRIMARY KEY, status text NOT NULL, by_name text, note text, at_ms bigint NOT NULL);
    `,
  },
  {
    version: 4,
    name: 'commands',
    sql: `
      CREATE TABLE commands (
        id text PRIMARY KEY, device_id text NOT NULL, gateway_id text NOT NULL, created_ms bigint NOT NULL,
        expires_ms bigint NOT NULL, status text NOT NULL, body text NOT NULL);
      CREATE INDEX commands_by_device ON commands (device_id, created_ms DESC);
      CREATE INDEX commands_queued ON commands (gateway_id, created_ms) WHERE status = 'queued';
    `,
  },
];

/** Advisory lock keys of the cloud (one 64-bit space per database). */
export const lockKeys = { migrations: 0x666f67_01, leader: 0x666f67_02 } as const;

/** Applies the steps this database lacks, under an advisory lock so that nodes starting together apply each once. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [lockKeys.migrations]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS fogline_schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM fogline_schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const newest = migrations[migrations.length - 1].version;
    const ahead = [...applied].filter((version) => version > newest);
    if (ahead.length > 0)
      throw new Error(
        `the database's schema is at version ${Math.max(...ahead)}, expected at most ${newest}: a newer fogline-cloud migrated it; run that version`,
      );
    const done: number[] = [];
    for (const step of migrations) {
      if (applied.has(step.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(step.sql);
        await client.query('INSERT INTO fogline_schema_migrations (version, name) VALUES ($1, $2)', [step.version, step.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`schema migration ${step.version} (${step.name}) failed: ${(error as Error).message}`);
      }
      done.push(step.version);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockKeys.migrations]).catch(() => {});
    client.release();
  }
}

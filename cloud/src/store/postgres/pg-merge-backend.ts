import { setTimeout as sleep } from 'node:timers/promises';
import { decodeMetricState, encodeMetricState, type MetricState } from '@fogline/shared';
import type pg from 'pg';
import type { SeenSeqs } from '../../intake/seen-seqs.js';
import type { GatewayStats, LiveEvents, Resolution } from '../cloud-store.js';
import type { DeadLetter, MergeBackend, MergeTransaction, StateKey, StateRow } from '../merge-transaction.js';
import type { PgKeeping } from './pg-keeping.js';
import type { PartitionMaker } from './pg-partitions.js';
import { statesTable } from './pg-partitions.js';
import { liveChannel, livePayload } from './pg-session.js';

/** Attempts at one transaction that conflicted with another writer, at most; then the intake fails (and the broker resends). */
export const transactionAttemptsMax = 8;

/** A new state another node inserted first: the transaction is retried and merges into it. */
class InsertConflict extends Error {
  readonly code = 'FOGLINE_INSERT_CONFLICT';
}

/**
 * Codes a retry resolves: deadlock, serialization failure, a unique key (two nodes creating the
 * same partition or state), a partition dropped under us, and our own insert conflict.
 */
const retryableCodes = new Set(['40P01', '40001', '23505', '42P07', '23514', 'FOGLINE_INSERT_CONFLICT']);

const keyText = (resolution: Resolution, key: StateKey) => `${resolution}\u0000${key.deviceId}\u0000${key.metric}\u0000${key.startMs}`;

/**
 * Merge transactions on PostgreSQL, for several nodes merging at once. A transaction first
 * locks its gateway's row (SELECT ... FOR UPDATE), so the envelopes of one gateway are merged
 * one at a time across the cluster and its dedup record cannot be raced; then it locks the
 * stored states it merges into, in key order. States are merged in the process (quantile
 * sketches do not merge in SQL) and written back before COMMIT. A state that did not exist is
 * inserted with ON CONFLICT DO NOTHING: if another node inserted it first, the transaction
 * is retried and merges into that one. Nothing is lost, and nothing is merged twice.
 */
export class PgMergeBackend implements MergeBackend {
  constructor(
    private readonly pool: pg.Pool,
    private readonly partitions: PartitionMaker,
    private readonly keeping: PgKeeping,
    private readonly keepArchive: boolean,
  ) {}

  async transaction<T>(work: (tx: MergeTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx = new PgMergeTransaction(client, this.keepArchive);
        const value = await work(tx);
        await tx.flush(this.partitions, this.keeping);
        await client.query('COMMIT');
        this.keeping.noteListed(tx.listedNames);
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollback: Error) => {
          broken = rollback;
        });
        const code = (error as { code?: string }).code;
        if (code === '23514') this.partitions.forget();
        if (code === undefined || !retryableCodes.has(code) || attempt >= transactionAttemptsMax) throw error;
        await sleep(Math.random() * 5 * attempt);
      } finally {
        client.release(broken);
      }
    }
  }
}

class PgMergeTransaction implements MergeTransaction {
  private stats?: GatewayStats;
  private seens: [string, string, SeenSeqs][] = [];
  private readonly existing = new Set<string>();
  private readonly rows = new Map<Resolution, StateRow[]>();
  private readonly alerts: [string, number, number, string][] = [];
  private readonly letters: DeadLetter[] = [];
  private readonly archived: { receivedAtMs: number; gatewayId: string; topic: string; bytes: Uint8Array }[] = [];
  private names: readonly string[] = [];
  /** Metric names this transaction listed: known once it commits. */
  listedNames: readonly string[] = [];
  private readonly notices: string[] = [];

  constructor(
    private readonly client: pg.PoolClient,
    private readonly keepArchive: boolean,
  ) {}

  /** One round trip when the gateway is known (the usual case); a new one is inserted first, then locked. */
  async gatewayStats(gatewayId: string): Promise<GatewayStats | undefined> {
    const lock = () =>
      this.client.query<{ stats: string | null }>('SELECT stats FROM gateways WHERE gateway_id = $1 FOR UPDATE', [gatewayId]);
    let { rows } = await lock();
    if (rows.length === 0) {
      await this.client.query('INSERT INTO gateways (gateway_id) VALUES ($1) ON CONFLICT DO NOTHING', [gatewayId]);
      ({ rows } = await lock());
    }
    return rows[0]?.stats ? JSON.parse(rows[0].stats) : undefined;
  }

  async seen(gatewayId: string, incarnation: string): Promise<SeenSeqs | undefined> {
    const { rows } = await this.client.query<{ mark: string; above: string[] }>(
      'SELECT mark, above FROM seen_seqs WHERE gateway_id = $1 AND incarnation = $2',
      [gatewayId, incarnation],
    );
    return rows[0] ? { mark: Number(rows[0].mark), above: rows[0].above.map(Number) } : undefined;
  }

  async states(resolution: Resolution, keys: readonly StateKey[]): Promise<(MetricState | undefined)[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.client.query<{ device_id: string; metric: string; start_ms: string; state: Buffer }>(
      `SELECT device_id, metric, start_ms, state FROM ${statesTable(resolution)}
       WHERE start_ms = ANY($3::bigint[]) AND (device_id, metric, start_ms) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]))
       ORDER BY device_id, metric, start_ms FOR UPDATE`,
      [keys.map((k) => k.deviceId), keys.map((k) => k.metric), keys.map((k) => k.startMs)],
    );
    const found = new Map<string, MetricState>();
    for (const row of rows) {
      const key = { deviceId: row.device_id, metric: row.metric, startMs: Number(row.start_ms) };
      found.set(keyText(resolution, key), decodeMetricState(row.state));
      this.existing.add(keyText(resolution, key));
    }
    return keys.map((key) => found.get(keyText(resolution, key)));
  }

  putGatewayStats(stats: GatewayStats): void {
    this.stats = stats;
  }

  putSeen(gatewayId: string, incarnation: string, seen: SeenSeqs): void {
    this.seens.push([gatewayId, incarnation, seen]);
  }

  putStates(resolution: Resolution, rows: readonly StateRow[]): void {
    this.rows.set(resolution, [...(this.rows.get(resolution) ?? []), ...rows]);
  }

  putAlert(gatewayId: string, seq: number, receivedAtMs: number, bytes: Uint8Array): void {
    this.alerts.push([gatewayId, seq, receivedAtMs, Buffer.from(bytes).toString('utf8')]);
  }

  archive(e: { gatewayId: string; topic: string; receivedAtMs: number; bytes: Uint8Array }): void {
    if (this.keepArchive) this.archived.push(e);
  }

  deadLetter(letter: DeadLetter): void {
    this.letters.push(letter);
  }

  async listMetricNames(names: readonly string[]): Promise<void> {
    this.names = names;
  }

  announce<K extends keyof LiveEvents>(event: K, payload: LiveEvents[K][0]): void {
    this.notices.push(livePayload(event, payload));
  }

  /**
   * Writes what the transaction gathered: a few statements, each for all its rows. The
   * gateway's stats, its dedup record and the live notice go in one statement (data-modifying
   * CTEs): every round trip counts when a worker merges one envelope at a time.
   */
  async flush(partitions: PartitionMaker, keeping: PgKeeping): Promise<void> {
    const { client } = this;
    const parts: string[] = [];
    const values: unknown[] = [];
    const parameter = (value: unknown) => `$${values.push(value)}`;
    if (this.stats)
      parts.push(
        `UPDATE gateways SET stats = ${parameter(JSON.stringify(this.stats))} WHERE gateway_id = ${parameter(this.stats.gatewayId)}`,
      );
    for (const [gatewayId, incarnation, seen] of this.seens)
      parts.push(
        `INSERT INTO seen_seqs (gateway_id, incarnation, mark, above)
         VALUES (${parameter(gatewayId)}, ${parameter(incarnation)}, ${parameter(seen.mark)}, ${parameter(seen.above)}::bigint[])
         ON CONFLICT (gateway_id, incarnation) DO UPDATE SET mark = EXCLUDED.mark, above = EXCLUDED.above`,
      );
    const notices = this.notices.map((notice) => `pg_notify(${parameter(liveChannel)}, ${parameter(notice)})`);
    if (parts.length > 0 || notices.length > 0) {
      const writes = parts.map((part, i) => `w${i} AS (${part})`);
      const select = `SELECT ${notices.length > 0 ? notices.join(', ') : '1'}`;
      await client.query(writes.length > 0 ? `WITH ${writes.join(', ')} ${select}` : select, values);
    }
    for (const [resolution, rows] of this.rows) await this.writeStates(partitions, resolution, rows);
    for (const [gatewayId, seq, receivedAtMs, body] of this.alerts)
      await client.query('INSERT INTO alerts (gateway_id, seq, received_ms, body) VALUES ($1, $2, $3, $4)', [
        gatewayId,
        seq,
        receivedAtMs,
        body,
      ]);
    for (const letter of this.letters) await keeping.deadLetterIn(client, letter);
    if (this.archived.length > 0)
      await client.query(
        'INSERT INTO archive (received_ms, gateway_id, topic, bytes) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[])',
        [
          this.archived.map((e) => e.receivedAtMs),
          this.archived.map((e) => e.gatewayId),
          this.archived.map((e) => e.topic),
          this.archived.map((e) => Buffer.from(e.bytes)),
        ],
      );
    if (this.names.length > 0) this.listedNames = await keeping.listNamesIn(client, this.names);
  }

  private async writeStates(partitions: PartitionMaker, resolution: Resolution, rows: readonly StateRow[]): Promise<void> {
    await partitions.ensure(this.client, resolution, new Set(rows.map((row) => row.key.startMs)));
    const table = statesTable(resolution);
    const columns = (list: readonly StateRow[]) => [
      list.map((r) => r.key.deviceId),
      list.map((r) => r.key.metric),
      list.map((r) => r.key.startMs),
      list.map((r) => r.endMs),
      list.map((r) => Buffer.from(encodeMetricState(r.state))),
    ];
    const stored = rows.filter((row) => this.existing.has(keyText(resolution, row.key)));
    const fresh = rows.filter((row) => !this.existing.has(keyText(resolution, row.key)));
    if (stored.length > 0)
      await this.client.query(
        `UPDATE ${table} AS s SET end_ms = u.end_ms, state = u.state
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bytea[]) AS u(device_id, metric, start_ms, end_ms, state)
         WHERE s.device_id = u.device_id AND s.metric = u.metric AND s.start_ms = u.start_ms`,
        columns(stored),
      );
    if (fresh.length === 0) return;
    const inserted = await this.client.query(
      `INSERT INTO ${table} (device_id, metric, start_ms, end_ms, state)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bytea[]) ON CONFLICT DO NOTHING`,
      columns(fresh),
    );
    if (inserted.rowCount !== fresh.length)
      throw new InsertConflict(`${fresh.length - (inserted.rowCount ?? 0)} states were inserted by another node first`);
  }
}

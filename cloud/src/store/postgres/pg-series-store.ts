import { decodeMetricState, type MetricState, type RddContext } from '@fogline/shared';
import type pg from 'pg';
import { addHour, type DeviceHistory } from '../../maintenance/hourly-history.js';
import type { FleetGrouping, Resolution, ScanFilter, SeriesPoint, SeriesStore, StoredState } from '../cloud-store.js';
import type { PgKeeping } from './pg-keeping.js';
import { type PartitionMaker, statesTable } from './pg-partitions.js';

/** Rows an export reads from PostgreSQL at a time. */
export const scanBatchRows = 5000;

/** The SQL expression a fleet query groups by; the label name is a parameter, never spliced in. */
function groupExpression(grouping: FleetGrouping): { sql: string; join: boolean } {
  switch (grouping.by) {
    case 'fleet':
      return { sql: `'fleet'`, join: false };
    case 'device':
      return { sql: 's.device_id', join: false };
    case 'gateway':
      return { sql: `coalesce(d.gateway_id, 'unknown')`, join: true };
    case 'label':
      return { sql: `coalesce(d.labels ->> $4, 'unknown')`, join: true };
  }
}

/** Series and fleet queries as SQL over the partitioned state tables; retention drops partitions. */
export class PgSeriesStore implements SeriesStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly partitions: PartitionMaker,
    private readonly keeping: PgKeeping,
  ) {}

  async series(deviceId: string, metric: string, fromMs: number, toMs: number, resolution: Resolution = 'window'): Promise<SeriesPoint[]> {
    const { rows } = await this.pool.query<{ start: number; end: number; state: Buffer }>(
      `SELECT start_ms::float8 AS start, end_ms::float8 AS end, state FROM ${statesTable(resolution)}
       WHERE device_id = $1 AND metric = $2 AND start_ms >= $3 AND start_ms < $4 ORDER BY start_ms`,
      [deviceId, metric, fromMs, toMs],
    );
    return rows.map((row) => ({ windowStartMs: row.start, windowEndMs: row.end, state: decodeMetricState(row.state) }));
  }

  /**
   * The filter (metric and time, on the (metric, start_ms) index and the partitions that hold
   * the range) and the grouping key (a join with the registry) run in PostgreSQL; only the
   * matching states come back, and the RDD engine merges them per group (sketches merge only
   * in the process).
   */
  async fleet(
    rdd: RddContext,
    metric: string,
    fromMs: number,
    toMs: number,
    grouping: FleetGrouping,
    resolution: Resolution = 'window',
  ): Promise<Map<string, MetricState>> {
    const group = groupExpression(grouping);
    const parameters: unknown[] = [metric, fromMs, toMs];
    if (grouping.by === 'label') parameters.push(grouping.label);
    const { rows } = await this.pool.query<{ grp: string; state: Buffer }>(
      `SELECT ${group.sql} AS grp, s.state FROM ${statesTable(resolution)} s
       ${group.join ? 'LEFT JOIN devices d ON d.device_id = s.device_id' : ''}
       WHERE s.metric = $1 AND s.start_ms >= $2 AND s.start_ms < $3`,
      parameters,
    );
    return rdd
      .parallelize(rows.map((row): [string, MetricState] => [row.grp, decodeMetricState(row.state)]))
      .reduceByKey((a, b) => a.merge(b))
      .collectAsMap();
  }

  async metricsOf(deviceId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ metric: string }>(
      'SELECT DISTINCT metric FROM states_day WHERE device_id = $1 ORDER BY metric',
      [deviceId],
    );
    return rows.map((row) => row.metric);
  }

  async metricNames(): Promise<{ names: string[]; unlisted: number }> {
    return { names: await this.keeping.metricNames(), unlisted: this.keeping.unlistedNames };
  }

  /** Drops whole partitions past the retention: no scan, no vacuum. Returns the partitions dropped. */
  applyRetention(nowMs: number, keepMs: Record<Resolution, number>): Promise<number> {
    return this.partitions.dropOlderThan(this.pool, nowMs, keepMs);
  }

  /**
   * Through a cursor in a read-only transaction of its own: the partitions of the range only,
   * scanBatchRows at a time, so an export of months holds one batch in memory.
   */
  async *scan(resolution: Resolution, fromMs: number, toMs: number, only: ScanFilter = {}): AsyncGenerator<StoredState> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let inTransaction = false;
    try {
      await client.query('BEGIN READ ONLY');
      inTransaction = true;
      await client.query(
        `DECLARE export_scan NO SCROLL CURSOR FOR
         SELECT device_id, metric, start_ms::float8 AS start, end_ms::float8 AS end, state FROM ${statesTable(resolution)}
         WHERE start_ms >= $1 AND start_ms < $2
           AND ($3::text[] IS NULL OR metric = ANY($3)) AND ($4::text[] IS NULL OR device_id = ANY($4))
         ORDER BY start_ms, device_id, metric`,
        [fromMs, toMs, only.metrics ?? null, only.deviceIds ?? null],
      );
      for (;;) {
        const { rows } = await client.query<{ device_id: string; metric: string; start: number; end: number; state: Buffer }>(
          `FETCH ${scanBatchRows} FROM export_scan`,
        );
        for (const row of rows)
          yield { deviceId: row.device_id, metric: row.metric, startMs: row.start, endMs: row.end, state: decodeMetricState(row.state) };
        if (rows.length < scanBatchRows) break;
      }
      await client.query('COMMIT');
      inTransaction = false;
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      // A reader that stopped early (a closed download) leaves the transaction open: end it.
      if (inTransaction && !broken) await client.query('ROLLBACK').catch(() => {});
      client.release(broken);
    }
  }

  async hourHistories(): Promise<Map<string, DeviceHistory>> {
    const devices = new Map<string, DeviceHistory>();
    const { rows } = await this.pool.query<{ device_id: string; metric: string; start: number; state: Buffer }>(
      'SELECT device_id, metric, start_ms::float8 AS start, state FROM states_hour',
    );
    for (const row of rows) addHour(devices, row.device_id, row.metric, row.start, decodeMetricState(row.state));
    return devices;
  }
}

import {
  DoubleType,
  LongType,
  type RDD,
  type RddContext,
  type Row,
  ScanRDD,
  type ScanRequest,
  SqlError,
  StringType,
  StructField,
  StructType,
  type TableSource,
  TimestampType,
} from '@fogline/shared';
import type { DeviceEntry, Resolution, SeriesStore } from '../store/cloud-store.js';
import { timeRangeOf, valuesOf } from './pushed-filters.js';

/** Rows one split of a table scan may read, at most; past it the query fails and asks for a narrower WHERE. */
export const tableScanRowsMax = 2_000_000;
/** Splits a bounded scan of the PostgreSQL store is cut into (time slices read in parallel), at most. */
export const tableScanSplitsMax = 8;

const figureColumns = ['count', 'sum', 'mean', 'min', 'max', 'stddev', 'p50', 'p95', 'p99'] as const;
export const stateBaseColumns = ['device_id', 'gateway_id', 'metric', 'window_start', 'window_end', ...figureColumns];

/** The device labels as columns: a label named like a base column gets a `label_` prefix. */
export function labelColumns(devices: ReadonlyMap<string, DeviceEntry>, taken: readonly string[]): { key: string; column: string }[] {
  const keys = new Set<string>();
  for (const entry of devices.values()) for (const key of Object.keys(entry.labels)) keys.add(key);
  return [...keys].sort().map((key) => ({ key, column: taken.includes(key) ? `label_${key}` : key }));
}

/**
 * The merged states of one resolution (`windows`, `hours`, `days`) as a table: one row per
 * device × metric × period with its figures and the device's labels. A WHERE on
 * window_start, metric or device_id reaches the store's scan (SQL on PostgreSQL, key ranges
 * on level); the rest is filtered by the plan.
 */
export class StateTable implements TableSource {
  readonly schema: StructType;
  private readonly labels: { key: string; column: string }[];

  constructor(
    readonly name: string,
    private readonly resolution: Resolution,
    private readonly series: SeriesStore,
    private readonly devices: ReadonlyMap<string, DeviceEntry>,
    private readonly rangeSplits: boolean,
  ) {
    this.labels = labelColumns(devices, stateBaseColumns);
    this.schema = new StructType([
      new StructField('device_id', StringType, false),
      new StructField('gateway_id', StringType),
      new StructField('metric', StringType, false),
      new StructField('window_start', TimestampType, false),
      new StructField('window_end', TimestampType, false),
      new StructField('count', LongType, false),
      ...figureColumns.slice(1).map((c) => new StructField(c, DoubleType)),
      ...this.labels.map((l) => new StructField(l.column, StringType)),
    ]);
  }

  scan(request: ScanRequest, ctx: RddContext): RDD<Row> {
    const [from, to] = timeRangeOf(request.filters, 'window_start');
    const only = { metrics: valuesOf(request.filters, 'metric'), deviceIds: valuesOf(request.filters, 'device_id') };
    const bounded = to < Number.MAX_SAFE_INTEGER && from > 0;
    const splits = this.rangeSplits && bounded ? slices(from, to, tableScanSplitsMax) : [[from, to] as [number, number]];
    const pick = this.rowBuilder(request.columns);
    return new ScanRDD(ctx, `${this.name} table`, splits, async ([splitFrom, splitTo]) => {
      const rows: Row[] = [];
      for await (const stored of this.series.scan(this.resolution, splitFrom, splitTo, only)) {
        if (rows.length >= tableScanRowsMax) {
          throw new SqlError(
            'SQL_IO_ERROR',
            `the scan of ${this.name} read more than ${tableScanRowsMax} rows; narrow it with a WHERE on window_start, metric or device_id`,
          );
        }
        rows.push(pick(stored));
      }
      return rows;
    });
  }

  private rowBuilder(columns: readonly string[]) {
    const labelOf = new Map(this.labels.map((l) => [l.column, l.key]));
    const getters = columns.map((column): ((s: import('../store/cloud-store.js').StoredState, f: Record<string, number>) => unknown) => {
      switch (column) {
        case 'device_id':
          return (s) => s.deviceId;
        case 'gateway_id':
          return (s) => this.devices.get(s.deviceId)?.gatewayId ?? null;
        case 'metric':
          return (s) => s.metric;
        case 'window_start':
          return (s) => s.startMs;
        case 'window_end':
          return (s) => s.endMs;
        default: {
          const key = labelOf.get(column);
          if (key !== undefined) return (s) => this.devices.get(s.deviceId)?.labels[key] ?? null;
          return (_, f) => finite(f[column]);
        }
      }
    });
    const needsFigures = columns.some((c) => (figureColumns as readonly string[]).includes(c));
    return (s: import('../store/cloud-store.js').StoredState): Row => {
      const figures = needsFigures ? (s.state.summary() as unknown as Record<string, number>) : {};
      return getters.map((g) => g(s, figures));
    };
  }
}

/** A figure that is not a finite number (the min of nothing) is null in SQL and in the lake. */
export const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);

function slices(from: number, to: number, count: number): [number, number][] {
  const size = Math.max(1, Math.ceil((to - from) / count));
  const out: [number, number][] = [];
  for (let start = from; start < to; start += size) out.push([start, Math.min(to, start + size)]);
  return out;
}

import {
  DoubleType,
  decodeEnvelope,
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
import type { EnvelopeArchive } from '../store/cloud-store.js';
import { timeRangeOf } from './pushed-filters.js';
import { finite, tableScanRowsMax } from './state-table.js';

export const archiveColumns = [
  'received_at',
  'gateway_id',
  'incarnation',
  'seq',
  'device_id',
  'metric',
  'window_start',
  'window_end',
  'count',
  'sum',
  'mean',
  'min',
  'max',
] as const;

/** The archive's columns and types, for the SQL table and the lake's files alike. */
export const archiveSchema = new StructType(
  archiveColumns.map((c) => {
    if (c === 'received_at' || c === 'window_start' || c === 'window_end') return new StructField(c, TimestampType);
    if (c === 'seq' || c === 'count') return new StructField(c, LongType);
    if (['sum', 'mean', 'min', 'max'].includes(c)) return new StructField(c, DoubleType);
    return new StructField(c, StringType);
  }),
);

/**
 * `archive`: every record of every archived envelope, as it arrived (before merging), so a new
 * job can run over history. A WHERE on received_at bounds the archive's scan.
 */
export class ArchiveTable implements TableSource {
  readonly name = 'archive';
  readonly schema = archiveSchema;

  constructor(private readonly archive: EnvelopeArchive) {}

  scan(request: ScanRequest, ctx: RddContext): RDD<Row> {
    const [from, to] = timeRangeOf(request.filters, 'received_at');
    const indexes = request.columns.map((c) => archiveColumns.indexOf(c as (typeof archiveColumns)[number]));
    return new ScanRDD(ctx, 'archive table', [0], async () => {
      const rows: Row[] = [];
      for await (const e of this.archive.scan(from, to)) {
        for (const full of archiveRows(e.receivedAtMs, e.bytes)) {
          if (rows.length >= tableScanRowsMax)
            throw new SqlError(
              'SQL_IO_ERROR',
              `the scan of archive read more than ${tableScanRowsMax} rows; narrow it with a WHERE on received_at`,
            );
          rows.push(indexes.map((i) => full[i]));
        }
      }
      return rows;
    });
  }
}

/** The rows of one archived envelope, in archiveColumns order. */
export function archiveRows(receivedAtMs: number, bytes: Uint8Array): Row[] {
  const e = decodeEnvelope(bytes);
  return e.records.map(([[deviceId, metric], state]) => {
    const s = state.summary();
    return [
      receivedAtMs,
      e.gatewayId,
      e.incarnation,
      e.seq,
      deviceId,
      metric,
      e.windowStartMs,
      e.windowEndMs,
      s.count,
      finite(s.sum),
      finite(s.mean),
      finite(s.min),
      finite(s.max),
    ];
  });
}

import { open } from 'node:fs/promises';
import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetReadObjects, type SchemaElement } from 'hyparquet';
import type { RDD, RddContext } from '../../rdd/internal.js';
import { compareValues, type Row } from '../expressions/expression.js';
import type { PushedFilter, ScanRequest, TableSource } from '../plan/data-source-relation.js';
import {
  BooleanType,
  type DataType,
  DoubleType,
  IntegerType,
  LongType,
  StringType,
  StructField,
  StructType,
  TimestampType,
} from '../types.js';
import { type DataFile, listDataFiles, partitionColumns } from './file-listing.js';
import { ScanRDD } from './scan-rdd.js';

interface RowGroupSplit {
  readonly file: DataFile;
  readonly metadata: FileMetaData;
  readonly rowGroup: number;
  readonly rowStart: number;
  readonly rowEnd: number;
}

/** What Parquet scans skipped; read by tests and the bench, never reset. */
export interface ParquetScanMetrics {
  rowGroupsRead: number;
  rowGroupsSkipped: number;
}

/**
 * Parquet files (a file, or a Hive-partitioned folder of them) as a table, read with
 * hyparquet. A scan reads only the requested columns and skips a row group when its min/max
 * statistics, or a partition folder's value, show that no row can pass a pushed filter.
 */
export class ParquetSource implements TableSource {
  readonly metrics: ParquetScanMetrics = { rowGroupsRead: 0, rowGroupsSkipped: 0 };

  private constructor(
    readonly name: string,
    readonly schema: StructType,
    private readonly splits: readonly RowGroupSplit[],
    private readonly partitionNames: readonly string[],
  ) {}

  /** Lists the files and reads their footers (not their data). @example const source = await ParquetSource.open('lake/hours') */
  static async open(path: string): Promise<ParquetSource> {
    const files = await listDataFiles(path, '.parquet');
    const splits: RowGroupSplit[] = [];
    let schema: StructType | undefined;
    for (const file of files) {
      const metadata = await readFooter(file.path);
      schema ??= schemaOf(metadata);
      let rowStart = 0;
      metadata.row_groups.forEach((group, rowGroup) => {
        const rows = Number(group.num_rows);
        splits.push({ file, metadata, rowGroup, rowStart, rowEnd: rowStart + rows });
        rowStart += rows;
      });
    }
    const partitionNames = partitionColumns(files);
    const fields = [...(schema?.fields ?? []), ...partitionNames.map((n) => new StructField(n, StringType))];
    return new ParquetSource(`parquet ${path}`, new StructType(fields), splits, partitionNames);
  }

  /** The requested columns of the row groups the filters may match, one partition per row group. @example source.scan({ columns: ['id'], filters: [{ column: 'id', op: '>=', value: 100 }] }, rddContext) */
  scan(request: ScanRequest, ctx: RddContext): RDD<Row> {
    const kept = this.splits.filter((s) => this.mayMatch(s, request.filters));
    this.metrics.rowGroupsSkipped += this.splits.length - kept.length;
    const columns = request.columns;
    const fileColumns = columns.filter((c) => !this.partitionNames.includes(c));
    const types = columns.map((c) => this.schema.fields.find((f) => f.name === c)?.dataType ?? StringType);
    return new ScanRDD(ctx, this.name, kept, async (split) => {
      this.metrics.rowGroupsRead++;
      const file = await asyncBufferFromFile(split.file.path);
      const objects =
        fileColumns.length === 0
          ? new Array(split.rowEnd - split.rowStart).fill({})
          : await parquetReadObjects({
              file,
              metadata: split.metadata,
              columns: fileColumns,
              rowStart: split.rowStart,
              rowEnd: split.rowEnd,
            });
      return objects.map((o: Record<string, unknown>) =>
        columns.map((c, i) => (this.partitionNames.includes(c) ? (split.file.partitionValues[c] ?? null) : fromParquet(o[c], types[i]!))),
      );
    });
  }

  /** False only when the statistics prove that no row of the group passes every filter. */
  private mayMatch(split: RowGroupSplit, filters: readonly PushedFilter[]): boolean {
    for (const f of filters) {
      if (this.partitionNames.includes(f.column)) {
        const value = split.file.partitionValues[f.column] ?? null;
        if (!rangeMayMatch(f, value, value, value === null ? 1 : 0)) return false;
        continue;
      }
      const chunk = split.metadata.row_groups[split.rowGroup]!.columns.find((c) => c.meta_data?.path_in_schema.join('.') === f.column);
      const stats = chunk?.meta_data?.statistics;
      if (!stats) continue;
      const type = this.schema.fields.find((x) => x.name === f.column)?.dataType ?? StringType;
      const min = stats.min_value === undefined ? undefined : fromParquet(stats.min_value, type);
      const max = stats.max_value === undefined ? undefined : fromParquet(stats.max_value, type);
      const nulls = stats.null_count === undefined ? undefined : Number(stats.null_count);
      if (!rangeMayMatch(f, min, max, nulls, Number(split.rowEnd - split.rowStart))) return false;
    }
    return true;
  }
}

function rangeMayMatch(f: PushedFilter, min: unknown, max: unknown, nulls: number | undefined, rows = 1): boolean {
  if (f.op === 'isnull') return nulls === undefined || nulls > 0;
  if (f.op === 'isnotnull') return nulls === undefined || nulls < rows;
  if (min === undefined || max === undefined || min === null || max === null) return true;
  const v = f.value;
  const values = f.op === 'in' ? (v as unknown[]) : [v];
  if (values.some((x) => typeof x !== typeof min)) return true; // a type the statistics cannot judge
  switch (f.op) {
    case '=':
    case 'in':
      return values.some((x) => compareValues(x, min) >= 0 && compareValues(x, max) <= 0);
    case '<':
      return compareValues(min, v) < 0;
    case '<=':
      return compareValues(min, v) <= 0;
    case '>':
      return compareValues(max, v) > 0;
    case '>=':
      return compareValues(max, v) >= 0;
    default:
      return true;
  }
}

/** Reads only the footer: the last 8 bytes give its length. */
async function readFooter(path: string): Promise<FileMetaData> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const file = {
      byteLength: size,
      slice: async (start: number, end?: number) => {
        const length = (end ?? size) - start;
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, start);
        return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + length);
      },
    };
    return await parquetMetadataAsync(file);
  } finally {
    await handle.close();
  }
}

function schemaOf(metadata: FileMetaData): StructType {
  return new StructType(
    metadata.schema
      .slice(1)
      .filter((e) => e.num_children === undefined)
      .map((e) => new StructField(e.name, typeOf(e), e.repetition_type !== 'REQUIRED')),
  );
}

function typeOf(e: SchemaElement): DataType {
  const logical = e.logical_type?.type;
  if (e.converted_type === 'TIMESTAMP_MILLIS' || e.converted_type === 'TIMESTAMP_MICROS' || logical === 'TIMESTAMP') return TimestampType;
  if (e.converted_type === 'DATE' || logical === 'DATE') return { kind: 'date' };
  switch (e.type) {
    case 'BOOLEAN':
      return BooleanType;
    case 'INT32':
      return IntegerType;
    case 'INT64':
      return LongType;
    case 'FLOAT':
    case 'DOUBLE':
      return DoubleType;
    default:
      return StringType;
  }
}

/** A value hyparquet decoded, in the engine's form: bigint → number, Date → epoch ms. */
function fromParquet(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (type.kind === 'string' && value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return value;
}

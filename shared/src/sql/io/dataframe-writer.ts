import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { DataFrame } from '../dataframe.js';
import { badArgument, SqlError } from '../errors.js';
import type { Row } from '../expressions/expression.js';
import { castFunction } from '../expressions/operators.js';
import { StringType, StructField, StructType, toExternal } from '../types.js';
import { writeParquetFile } from './parquet-file.js';

export type SaveMode = 'error' | 'errorifexists' | 'overwrite' | 'append' | 'ignore';
type Format = 'parquet' | 'csv' | 'json';

/**
 * df.write (PySpark's DataFrameWriter). Each partition of the DataFrame writes its own files,
 * `part-<partition>-<write id>.<format>`, in Hive folders `column=value/` when partitionBy is
 * set (those columns then live in the folder names, not in the files), and `_SUCCESS` marks a
 * finished write, as Spark's do.
 */
export class DataFrameWriter {
  private saveMode: SaveMode = 'error';
  private partitionColumns: string[] = [];
  private readonly options: Record<string, unknown> = {};

  constructor(private readonly df: DataFrame) {}

  /** error (the default) refuses an existing path; overwrite replaces it; append adds files; ignore does nothing when it exists. @example df.write.mode('overwrite') */
  mode(mode: SaveMode): DataFrameWriter {
    if (!['error', 'errorifexists', 'overwrite', 'append', 'ignore'].includes(mode))
      badArgument('write.mode', 'mode', mode, 'error, errorifexists, overwrite, append or ignore');
    this.saveMode = mode;
    return this;
  }
  /** Writes Hive folders by these columns. @example df.write.partitionBy('date').parquet('lake/hours') */
  partitionBy(...cols: string[]): DataFrameWriter {
    for (const c of cols)
      if (!this.df.columns.includes(c)) badArgument('write.partitionBy', 'column', c, `one of ${this.df.columns.join(', ')}`);
    this.partitionColumns = cols;
    return this;
  }
  /** A writer option: header (CSV, default true). @example df.write.option('header', false).csv('out') */
  option(key: string, value: unknown): DataFrameWriter {
    this.options[key] = value;
    return this;
  }
  /** Parquet files (snappy, statistics per row group). @example await df.write.mode('overwrite').parquet('out/people') */
  parquet(path: string): Promise<void> {
    return this.save(path, 'parquet');
  }
  /** CSV files with a header line. @example await df.write.csv('out/people') */
  csv(path: string): Promise<void> {
    return this.save(path, 'csv');
  }
  /** JSON lines files. @example await df.write.json('out/people') */
  json(path: string): Promise<void> {
    return this.save(path, 'json');
  }

  private async save(path: string, format: Format): Promise<void> {
    if (await exists(path)) {
      if (this.saveMode === 'ignore') return;
      if (this.saveMode === 'error' || this.saveMode === 'errorifexists') {
        throw new SqlError('SQL_IO_ERROR', `path ${path} already exists; use mode('overwrite') or mode('append')`);
      }
      if (this.saveMode === 'overwrite') await rm(path, { recursive: true, force: true });
    }
    await mkdir(path, { recursive: true });
    const output = this.df.plan.output;
    const partIndexes = this.partitionColumns.map((c) => output.findIndex((a) => a.name === c));
    const dataIndexes = output.map((_, i) => i).filter((i) => !partIndexes.includes(i));
    const schema = new StructType(dataIndexes.map((i) => new StructField(output[i]!.name, output[i]!.dataType)));
    const toText = partIndexes.map((i) => castFunction(output[i]!.dataType, StringType));
    const writeId = randomUUID();
    const header = this.options.header !== false;
    await this.df
      .executeRows()
      .mapPartitionsWithIndex((index, rows) => [[index, rows] as const])
      .runJob(async (items) => {
        for (const [index, rows] of items) {
          const groups = new Map<string, Row[]>();
          for (const row of rows) {
            const folder = partIndexes
              .map(
                (p, k) =>
                  `${output[p]!.name}=${row[p] === null || row[p] === undefined ? '__HIVE_DEFAULT_PARTITION__' : encodeURIComponent(String(toText[k]!(row[p])))}`,
              )
              .join('/');
            let group = groups.get(folder);
            if (!group) {
              group = [];
              groups.set(folder, group);
            }
            group.push(dataIndexes.map((i) => row[i]));
          }
          for (const [folder, groupRows] of groups) {
            const dir = folder ? join(path, folder) : path;
            await mkdir(dir, { recursive: true });
            const file = join(dir, `part-${String(index).padStart(5, '0')}-${writeId}.${format}`);
            await writeRows(file, format, schema, groupRows, header);
          }
        }
      }, 'write')
      .then((writes) => Promise.all(writes));
    await writeFile(join(path, '_SUCCESS'), '');
  }
}

async function writeRows(file: string, format: Format, schema: StructType, rows: readonly Row[], header: boolean): Promise<void> {
  if (format === 'parquet') return writeParquetFile(file, schema, rows);
  const fields = schema.fields;
  if (format === 'json') {
    const lines = rows.map((r) => {
      const o: Record<string, unknown> = {};
      fields.forEach((f, i) => {
        // Spark leaves null fields out of JSON lines.
        if (r[i] !== null && r[i] !== undefined) o[f.name] = toExternal(r[i], f.dataType);
      });
      return JSON.stringify(o);
    });
    return writeFile(file, lines.length ? `${lines.join('\n')}\n` : '');
  }
  const text = fields.map((f) => castFunction(f.dataType, StringType));
  const records = rows.map((r) => r.map((v, i) => (v === null || v === undefined ? '' : (text[i]!(v) as string))));
  await writeFile(file, stringify(header ? [fields.map((f) => f.name), ...records] : records));
}

async function exists(path: string): Promise<boolean> {
  try {
    await readdir(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR';
  }
}

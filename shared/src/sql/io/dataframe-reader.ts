import type { DataFrame } from '../dataframe.js';
import { badArgument } from '../errors.js';
import { attribute } from '../expressions/expression.js';
import { DataSourceRelation } from '../plan/data-source-relation.js';
import { LocalRelation } from '../plan/local-relation.js';
import type { SqlContext } from '../sql-context.js';
import { parseDdl, type StructType } from '../types.js';
import { ParquetSource } from './parquet-source.js';
import { type CsvOptions, readCsv, readJsonLines, type TextTable } from './text-formats.js';

/**
 * ctx.read (PySpark's DataFrameReader). The readers are async because, as in Spark, reading
 * the schema touches the files: Parquet footers only, CSV and JSON whole.
 */
export class DataFrameReader {
  private userSchema: StructType | undefined;
  private readonly options: Record<string, unknown> = {};

  constructor(private readonly ctx: SqlContext) {}

  /** Sets the schema instead of inferring it. @example ctx.read.schema('name string, age int').csv('people.csv') */
  schema(schema: StructType | string): DataFrameReader {
    this.userSchema = typeof schema === 'string' ? parseDdl(schema) : schema;
    return this;
  }
  /** Sets a reader option (header, inferSchema, sep, nullValue). @example ctx.read.option('header', true).csv('people.csv') */
  option(key: string, value: unknown): DataFrameReader {
    this.options[key] = value;
    return this;
  }
  /** CSV files; options header, inferSchema, sep, nullValue. @example await ctx.read.csv('people.csv', { header: true, inferSchema: true }) */
  async csv(path: string, options: CsvOptions = {}): Promise<DataFrame> {
    return this.local(await readCsv(path, { ...(this.options as CsvOptions), ...options }, this.userSchema));
  }
  /** JSON lines files, one object per line. @example await ctx.read.json('people.jsonl') */
  async json(path: string): Promise<DataFrame> {
    return this.local(await readJsonLines(path, this.userSchema));
  }
  /** Parquet files, Hive-partitioned folders included; columns are pruned and row groups skipped by their statistics. @example await ctx.read.parquet('lake/hours') */
  async parquet(path: string): Promise<DataFrame> {
    const source = await ParquetSource.open(path);
    const attrs = source.schema.fields.map((f) => attribute(f.name, f.dataType, f.nullable));
    return this.ctx.frame(new DataSourceRelation(source, attrs));
  }
  /** Reads by format name: 'parquet', 'csv' or 'json'. @example await ctx.read.format('parquet').load('lake/hours') */
  format(name: string): { load: (path: string) => Promise<DataFrame> } {
    const readers: Record<string, (path: string) => Promise<DataFrame>> = {
      parquet: (p) => this.parquet(p),
      csv: (p) => this.csv(p),
      json: (p) => this.json(p),
    };
    const reader = readers[name.toLowerCase()];
    if (!reader) badArgument('read.format', 'name', name, `one of ${Object.keys(readers).join(', ')}`);
    return { load: reader };
  }
  /** A registered table or view. @example ctx.read.table('hours') */
  table(name: string): DataFrame {
    return this.ctx.table(name);
  }

  private local(table: TextTable): DataFrame {
    const attrs = table.schema.fields.map((f) => attribute(f.name, f.dataType, f.nullable));
    return this.ctx.frame(new LocalRelation(attrs, table.rows));
  }
}

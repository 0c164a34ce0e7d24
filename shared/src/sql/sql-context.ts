import { RDD, RddContext, type RddContextOptions } from '../rdd/internal.js';
import { DataFrame } from './dataframe.js';
import { analysisError, badArgument } from './errors.js';
import { attribute, type Row } from './expressions/expression.js';
import { DataFrameReader } from './io/dataframe-reader.js';
import { DataSourceRelation, type TableSource } from './plan/data-source-relation.js';
import { LocalRelation, RddRelation } from './plan/local-relation.js';
import type { LogicalPlan } from './plan/logical-plan.js';
import { planSql } from './sql-planner.js';
import {
  commonType,
  type DataType,
  inferType,
  LongType,
  parseDdl,
  StringType,
  StructField,
  StructType,
  toInternal,
  typeName,
} from './types.js';

/** What createDataFrame takes as a schema: a DDL string, a list of column names, or a StructType. */
export type SchemaLike = string | readonly string[] | StructType;

/**
 * The entry point for DataFrames and SQL (PySpark's SparkSession): creates DataFrames, reads
 * files, runs SQL over temp views, on an RddContext of its own or one it is given.
 *
 * @example
 * const ctx = new SqlContext();
 * const df = ctx.createDataFrame([{ name: 'Alice', age: 2 }], 'name string, age int');
 * df.createOrReplaceTempView('people');
 * await ctx.sql('SELECT name FROM people WHERE age > 1').show();
 */
export class SqlContext {
  readonly rddContext: RddContext;
  private readonly ownsContext: boolean;
  private readonly views = new Map<string, LogicalPlan>();

  /** @example new SqlContext() @example new SqlContext(existingRddContext) */
  constructor(context?: RddContext | RddContextOptions) {
    this.ownsContext = !(context instanceof RddContext);
    this.rddContext = context instanceof RddContext ? context : new RddContext(context);
  }

  /** Readers for CSV, JSON lines and Parquet. @example await ctx.read.parquet('lake/hours') */
  get read(): DataFrameReader {
    return new DataFrameReader(this);
  }

  /**
   * A DataFrame from plain objects, from arrays with a schema, or from an RDD of either with a
   * schema. Without a schema, types are inferred as PySpark does: whole numbers bigint, other
   * numbers double, Dates timestamp.
   * @example ctx.createDataFrame([{ name: 'Alice', age: 2 }])
   * @example ctx.createDataFrame([['Alice', 2]], 'name string, age int')
   * @example ctx.createDataFrame([['Alice', 2]], ['name', 'age'])
   */
  createDataFrame(
    data: readonly (Record<string, unknown> | readonly unknown[])[] | RDD<Record<string, unknown> | readonly unknown[]>,
    schema?: SchemaLike,
  ): DataFrame {
    if (data instanceof RDD) return this.fromRdd(data, schema);
    const names = schemaNames(schema) ?? objectKeys(data);
    const arrays = data.map((item, i) => rowValues(item, names, i));
    const declared =
      schema && typeof schema !== 'string' && !(schema instanceof StructType) ? undefined : schema ? toStruct(schema) : undefined;
    const types = declared?.fields.map((f) => f.dataType) ?? names.map((_, c) => inferColumn(arrays, c));
    const attrs = names.map((n, i) => attribute(n, types[i]!, declared?.fields[i]?.nullable ?? true));
    const rows = arrays.map((values, r) => values.map((v, c) => checkValue(v, types[c]!, names[c]!, r)));
    return this.frame(new LocalRelation(attrs, rows));
  }

  private fromRdd(rdd: RDD<Record<string, unknown> | readonly unknown[]>, schema?: SchemaLike): DataFrame {
    if (!schema || (Array.isArray(schema) && typeof schema !== 'string')) {
      badArgument(
        'createDataFrame',
        'schema',
        schema,
        'a DDL string or a StructType when the data is an RDD (the types cannot be inferred without a job)',
      );
    }
    const struct = toStruct(schema as string | StructType);
    const names = struct.fieldNames();
    const types = struct.fields.map((f) => f.dataType);
    const rows: RDD<Row> = rdd.map((item) => rowValues(item, names, 0).map((v, c) => toInternal(v, types[c]!)));
    return this.frame(
      new RddRelation(
        names.map((n, i) => attribute(n, types[i]!)),
        rows,
      ),
    );
  }

  /** A DataFrame of one bigint column `id`: start, start+step, ... below end. @example ctx.range(0, 10) */
  range(start: number, end?: number, step = 1): DataFrame {
    const rdd = this.rddContext.range(start, end, step).map((id): Row => [id]);
    return this.frame(new RddRelation([attribute('id', LongType, false)], rdd));
  }

  /** Runs a SELECT over the temp views and registered tables. @example await ctx.sql('SELECT name, age FROM people WHERE age > 3').collect() */
  sql(query: string): DataFrame {
    return this.frame(planSql(query, { lookup: (name) => this.lookup(name) }));
  }

  /** The view or table of that name. @example ctx.table('people') */
  table(name: string): DataFrame {
    return this.frame(this.lookup(name));
  }

  /** Registers a plan under a name (what createOrReplaceTempView calls). @example ctx.registerView('people', df.plan) */
  registerView(name: string, plan: LogicalPlan): void {
    this.views.set(name.toLowerCase(), plan);
  }

  /** Registers a source (a Parquet folder, a store's table) as a table that SQL can read with pushdown. @example ctx.registerTable('hours', source) */
  registerTable(source: TableSource, name: string = source.name): DataFrame {
    const plan = new DataSourceRelation(
      source,
      source.schema.fields.map((f) => attribute(f.name, f.dataType, f.nullable)),
    );
    this.registerView(name, plan);
    return this.frame(plan);
  }

  /** Removes a temp view; true when there was one. @example ctx.dropTempView('people') */
  dropTempView(name: string): boolean {
    return this.views.delete(name.toLowerCase());
  }

  /** The names of the temp views and tables. @example ctx.tableNames() // ['people'] */
  tableNames(): string[] {
    return [...this.views.keys()].sort();
  }

  /** Stops the RddContext if this context created it. @example await ctx.stop() */
  async stop(): Promise<void> {
    if (this.ownsContext) await this.rddContext.stop();
  }

  /** A DataFrame over a plan of this context. @example ctx.frame(df.plan.children()[0]!) */
  frame(plan: LogicalPlan): DataFrame {
    return new DataFrame(this, plan);
  }

  private lookup(name: string): LogicalPlan {
    const plan = this.views.get(name.toLowerCase());
    if (!plan) analysisError(`table or view '${name}' does not exist; known: ${this.tableNames().join(', ') || 'none'}`);
    return plan;
  }
}

function toStruct(schema: string | StructType): StructType {
  return typeof schema === 'string' ? parseDdl(schema) : schema;
}

function schemaNames(schema: SchemaLike | undefined): string[] | undefined {
  if (schema === undefined) return undefined;
  if (typeof schema === 'string') return parseDdl(schema).fieldNames();
  if (schema instanceof StructType) return schema.fieldNames();
  return [...schema];
}

function objectKeys(data: readonly (Record<string, unknown> | readonly unknown[])[]): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const item of data) {
    // Tuples without a schema are named _1, _2... as PySpark names them.
    if (Array.isArray(item)) return item.map((_, n) => `_${n + 1}`);
    for (const k of Object.keys(item)) {
      if (seen.has(k)) continue;
      names.push(k);
      seen.add(k);
    }
  }
  return names;
}

function rowValues(item: Record<string, unknown> | readonly unknown[], names: readonly string[], index: number): unknown[] {
  if (Array.isArray(item)) {
    if (item.length !== names.length)
      badArgument('createDataFrame', `row ${index}`, item, `${names.length} values, for [${names.join(', ')}]`);
    return item.slice();
  }
  if (item === null || typeof item !== 'object') badArgument('createDataFrame', `row ${index}`, item, 'an object or an array');
  return names.map((n) => (item as Record<string, unknown>)[n] ?? null);
}

function inferColumn(rows: readonly unknown[][], column: number): DataType {
  let type: DataType = { kind: 'null' };
  for (const row of rows) type = commonType(type, inferType(row[column]));
  // A column that is null everywhere cannot be inferred (PySpark refuses it); string is the harmless choice.
  return type.kind === 'null' ? StringType : type;
}

/** Checks a value against its declared type (Spark's verifySchema) and converts it to the engine's form. */
function checkValue(value: unknown, type: DataType, name: string, row: number): unknown {
  if (value === null || value === undefined) return null;
  const ok: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    int: (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2147483647,
    bigint: (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
    double: (v) => typeof v === 'number',
    boolean: (v) => typeof v === 'boolean',
    timestamp: (v) => v instanceof Date || typeof v === 'number' || typeof v === 'string',
    date: (v) => v instanceof Date || typeof v === 'number' || typeof v === 'string',
    array: (v) => Array.isArray(v),
  };
  const check = ok[type.kind];
  if (check && !check(value)) badArgument('createDataFrame', `field ${name} of row ${row}`, value, `a value of type ${typeName(type)}`);
  return toInternal(value, type);
}

export { StructField };

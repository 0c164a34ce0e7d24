import type { RDD } from '../rdd/internal.js';
import { StorageLevel } from '../rdd/internal.js';
import { Column, type ColumnLike, nameToExpr, toExpr } from './column.js';
import { badArgument } from './errors.js';
import { AggregateCall, countStar } from './expressions/aggregates.js';
import { Alias, AttributeRef, ColumnRef, type Expr, Literal, type Row, resolveName, SortOrder, Star } from './expressions/expression.js';
import { Explode } from './expressions/functions.js';
import { WindowExpression } from './expressions/window-expression.js';
import { GroupedData, groupingExprs } from './grouped-data.js';
import { DataFrameWriter } from './io/dataframe-writer.js';
import { NaFunctions } from './na-functions.js';
import { Aggregate } from './plan/aggregate.js';
import { CachedRelation } from './plan/cached-relation.js';
import { Deduplicate } from './plan/distinct.js';
import { Filter } from './plan/filter.js';
import { Generate } from './plan/generate.js';
import { Join, parseJoinType, usingJoin } from './plan/join.js';
import { Limit } from './plan/limit.js';
import type { LogicalPlan } from './plan/logical-plan.js';
import { optimize } from './plan/optimizer.js';
import { Project } from './plan/project.js';
import { Sort, toSortOrder } from './plan/sort.js';
import { SubqueryAlias } from './plan/subquery-alias.js';
import { Union } from './plan/union.js';
import { WindowPlan } from './plan/window-plan.js';
import { showString } from './show-table.js';
import type { SqlContext } from './sql-context.js';
import { parseExpression } from './sql-expression.js';
import { type StructType, toExternal, typeName } from './types.js';

/**
 * A distributed collection of rows with named columns and a schema (PySpark's DataFrame),
 * built on the RDD engine. Transformations only build a logical plan; actions (collect,
 * count, show...) optimise it and run it as RDD jobs.
 *
 * @example
 * const df = ctx.createDataFrame([{ name: 'Alice', age: 2 }, { name: 'Bob', age: 5 }]);
 * await df.filter(F.col('age').gt(3)).select('name').collect(); // [{ name: 'Bob' }]
 */
export class DataFrame {
  constructor(
    readonly ctx: SqlContext,
    readonly plan: LogicalPlan,
  ) {}

  /** A DataFrame over another plan in the same context (used by GroupedData and the writers). @example df.withPlan(new Limit(5, df.plan)) */
  withPlan(plan: LogicalPlan): DataFrame {
    return new DataFrame(this.ctx, plan);
  }

  // ---- schema ----

  /** The schema. @example df.schema.simpleString() // 'struct<name:string,age:bigint>' */
  get schema(): StructType {
    return this.plan.schema();
  }
  /** Column names in order. @example df.columns // ['name', 'age'] */
  get columns(): string[] {
    return this.plan.output.map((a) => a.name);
  }
  /** [name, type] pairs. @example df.dtypes // [['name', 'string'], ['age', 'bigint']] */
  get dtypes(): [string, string][] {
    return this.plan.output.map((a) => [a.name, typeName(a.dataType)]);
  }
  /** Prints the schema as a tree. @example df.printSchema() */
  printSchema(): void {
    process.stdout.write(this.schema.treeString());
  }
  /** This DataFrame's column of that name, which stays unambiguous through joins. @example df.join(other, df.col('id').equalTo(other.col('id'))) */
  col(name: string): Column {
    if (name === '*') return new Column(new Star());
    const attrs = this.plan.output;
    return new Column(new AttributeRef(attrs[resolveName(name, undefined, attrs)]!));
  }

  // ---- transformations ----

  /** Columns or expressions; a select of aggregates only aggregates the whole DataFrame. @example df.select('name', F.col('age').plus(1)) */
  select(...cols: (ColumnLike | readonly ColumnLike[])[]): DataFrame {
    const exprs = cols.flat().map((c) => toExpr(c as ColumnLike));
    const generated = this.generate(exprs);
    if (generated) return generated;
    const windowed = this.window(exprs);
    if (windowed) return windowed;
    if (exprs.some((e) => new Column(e).isAggregate)) return this.withPlan(new Aggregate([], exprs, this.plan));
    return this.withPlan(new Project(this.expandStars(exprs), this.plan));
  }
  /** Like select, with SQL expressions. @example df.selectExpr('age * 2', 'abs(age)') */
  selectExpr(...exprs: string[]): DataFrame {
    return this.select(...exprs.map((e) => new Column(parseExpression(e))));
  }
  /** Keeps the rows where the condition is true; a string is a SQL expression. @example df.filter(F.col('age').gt(3)) @example df.filter('age > 3') */
  filter(condition: Column | string): DataFrame {
    const expr = typeof condition === 'string' ? parseExpression(condition) : condition.expr;
    return this.withPlan(new Filter(expr, this.plan));
  }
  /** Same as filter. @example df.where(F.col('age').equalTo(2)) */
  where(condition: Column | string): DataFrame {
    return this.filter(condition);
  }
  /** Adds a column, or replaces the one of that name in place. @example df.withColumn('age2', F.col('age').plus(2)) */
  withColumn(name: string, col: Column): DataFrame {
    const inner = col.expr instanceof Alias ? col.expr.child : col.expr;
    // explode and window functions add a column through a node of their own; the new column replaces one of its name.
    if (inner instanceof Explode || inner instanceof WindowExpression) {
      const plan =
        inner instanceof Explode ? new Generate(inner.child, name, this.plan) : new WindowPlan([{ expr: inner, name }], this.plan);
      const added = plan.output[plan.output.length - 1]!;
      const kept = this.plan.output.filter((a) => a.name.toLowerCase() !== name.toLowerCase()).map((a) => new AttributeRef(a));
      return this.withPlan(new Project([...kept, new AttributeRef(added)], plan));
    }
    const lower = name.toLowerCase();
    const existing = this.plan.output.findIndex((a) => a.name.toLowerCase() === lower);
    const list: Expr[] = this.plan.output.map((a) => new AttributeRef(a));
    if (existing >= 0) list[existing] = new Alias(col.expr, name);
    else list.push(new Alias(col.expr, name));
    return this.withPlan(new Project(list, this.plan));
  }
  /** Renames a column; a name that does not exist is ignored, as in Spark. @example df.withColumnRenamed('age', 'age2') */
  withColumnRenamed(existing: string, renamed: string): DataFrame {
    const lower = existing.toLowerCase();
    if (!this.plan.output.some((a) => a.name.toLowerCase() === lower)) return this;
    return this.withPlan(
      new Project(
        this.plan.output.map((a) => (a.name.toLowerCase() === lower ? new Alias(new AttributeRef(a), renamed) : new AttributeRef(a))),
        this.plan,
      ),
    );
  }
  /** Drops columns; names that do not exist are ignored. @example df.drop('age') */
  drop(...cols: ColumnLike[]): DataFrame {
    const dropped = new Set<number>();
    for (const c of cols) {
      const e = toExpr(c);
      if (e instanceof AttributeRef) dropped.add(e.attr.exprId);
      else if (e instanceof ColumnRef) {
        for (const a of this.plan.output) if (a.name.toLowerCase() === e.name.toLowerCase()) dropped.add(a.exprId);
      }
    }
    return this.withPlan(
      new Project(
        this.plan.output.filter((a) => !dropped.has(a.exprId)).map((a) => new AttributeRef(a)),
        this.plan,
      ),
    );
  }
  /** The same rows with new column names, in order. @example ctx.createDataFrame([[1, 'a']], ['x', 'y']).toDF('id', 'label') */
  toDF(...names: string[]): DataFrame {
    if (names.length !== this.plan.output.length) badArgument('toDF', 'names', names, `${this.plan.output.length} names`);
    return this.withPlan(
      new Project(
        this.plan.output.map((a, i) => new Alias(new AttributeRef(a), names[i]!)),
        this.plan,
      ),
    );
  }
  /** Groups rows by columns for agg(); no columns is one group. @example df.groupBy('name').agg(F.max('age')) */
  groupBy(...cols: (ColumnLike | readonly ColumnLike[])[]): GroupedData {
    return new GroupedData(this, groupingExprs(cols));
  }
  /** Same as groupBy. @example df.groupby('name').count() */
  groupby(...cols: (ColumnLike | readonly ColumnLike[])[]): GroupedData {
    return this.groupBy(...cols);
  }
  /** Aggregates the whole DataFrame. @example df.agg(F.max('age'), F.min('age')) */
  agg(...exprs: (Column | Record<string, string>)[]): DataFrame {
    return this.groupBy().agg(...exprs);
  }
  /**
   * Joins with another DataFrame on column names (kept once), or on a condition; how is
   * inner, left, right, full, semi, anti or cross (and Spark's other spellings).
   * @example df.join(df2, 'name', 'left')
   * @example df.join(df2, df.col('name').equalTo(df2.col('name')), 'inner')
   */
  join(other: DataFrame, on?: string | readonly string[] | Column, how = 'inner'): DataFrame {
    const type = parseJoinType(how);
    if (on === undefined || on instanceof Column) return this.withPlan(new Join(this.plan, other.plan, on ? type : 'cross', on?.expr));
    return this.withPlan(usingJoin(this.plan, other.plan, typeof on === 'string' ? [on] : on, type));
  }
  /** Every pair of rows. @example df.crossJoin(df2) */
  crossJoin(other: DataFrame): DataFrame {
    return this.join(other);
  }
  /** Sorts by columns; strings ascend, Columns may say desc(). @example df.orderBy(F.desc('age'), 'name') @example df.orderBy(['age', 'name'], { ascending: false }) */
  orderBy(...cols: (ColumnLike | readonly ColumnLike[] | { ascending: boolean | readonly boolean[] })[]): DataFrame {
    const last = cols[cols.length - 1];
    const options =
      last && typeof last === 'object' && !(last instanceof Column) && !Array.isArray(last)
        ? (cols.pop() as { ascending: boolean | boolean[] })
        : undefined;
    const exprs = (cols as (ColumnLike | readonly ColumnLike[])[]).flat().map((c, i) => {
      const order = toSortOrder(toExpr(c as ColumnLike));
      const ascending = Array.isArray(options?.ascending) ? options.ascending[i] : options?.ascending;
      return ascending === undefined ? order : new SortOrder(order.child, ascending);
    });
    return this.withPlan(new Sort(exprs, this.plan));
  }
  /** Same as orderBy. @example df.sort(F.col('age').desc()) */
  sort(...cols: (ColumnLike | readonly ColumnLike[] | { ascending: boolean | readonly boolean[] })[]): DataFrame {
    return this.orderBy(...cols);
  }
  /** The first n rows. @example df.limit(1) */
  limit(n: number): DataFrame {
    if (!Number.isInteger(n) || n < 0) badArgument('limit', 'n', n, 'an integer >= 0');
    return this.withPlan(new Limit(n, this.plan));
  }
  /** Distinct rows. @example df.distinct().count() */
  distinct(): DataFrame {
    return this.withPlan(new Deduplicate(undefined, this.plan));
  }
  /** Rows distinct on the given columns (all by default); the first of each is kept. @example df.dropDuplicates(['name']) */
  dropDuplicates(subset?: readonly string[]): DataFrame {
    return this.withPlan(new Deduplicate(subset, this.plan));
  }
  /** Same as dropDuplicates. @example df.drop_duplicates(['name']) */
  drop_duplicates(subset?: readonly string[]): DataFrame {
    return this.dropDuplicates(subset);
  }
  /** Rows of both, by column position (SQL's UNION ALL). @example df.union(df2) */
  union(other: DataFrame): DataFrame {
    if (other.columns.length !== this.columns.length) {
      badArgument('union', 'other', other.columns, `${this.columns.length} columns, as [${this.columns.join(', ')}]`);
    }
    return this.withPlan(new Union([this.plan, other.plan]));
  }
  /** Same as union. @example df.unionAll(df2) */
  unionAll(other: DataFrame): DataFrame {
    return this.union(other);
  }
  /** Rows of both, matched by column name; with allowMissingColumns, a missing column is null. @example df.unionByName(df2, true) */
  unionByName(other: DataFrame, allowMissingColumns = false): DataFrame {
    const names = [...this.columns];
    if (allowMissingColumns) for (const n of other.columns) if (!names.some((m) => m.toLowerCase() === n.toLowerCase())) names.push(n);
    const pick = (df: DataFrame) =>
      df.select(
        ...names.map((n) => {
          const found = df.columns.find((c) => c.toLowerCase() === n.toLowerCase());
          if (found) return df.col(found);
          if (!allowMissingColumns) badArgument('unionByName', 'other', df.columns, `a column named ${n}`);
          return new Column(new Alias(new Literal(null), n));
        }),
      );
    return pick(this).union(pick(other));
  }
  /** This DataFrame under an alias, for qualified names in joins. @example df.alias('a').join(df2.alias('b'), F.col('a.id').equalTo(F.col('b.id'))) */
  alias(name: string): DataFrame {
    return this.withPlan(new SubqueryAlias(name, this.plan));
  }
  /** Null handling: na.fill(value, subset?) and na.drop(how, thresh, subset). @example df.na.fill(0) */
  get na(): NaFunctions {
    return new NaFunctions(this);
  }
  /** Same as na.fill. @example df.fillna({ age: 0 }) */
  fillna(value: number | string | boolean | Record<string, unknown>, subset?: readonly string[]): DataFrame {
    return this.na.fill(value, subset);
  }
  /** Same as na.drop. @example df.dropna('any') */
  dropna(how: 'any' | 'all' = 'any', thresh?: number, subset?: readonly string[]): DataFrame {
    return this.na.drop(how, thresh, subset);
  }

  /**
   * count, mean, stddev, min and max of numeric and string columns, as strings (PySpark's describe).
   * @example await df.describe('age').show()
   */
  describe(...cols: string[]): DataFrame {
    const names = cols.length ? cols : this.dtypes.filter(([, t]) => ['int', 'bigint', 'double', 'string'].includes(t)).map(([n]) => n);
    const stats: [string, (n: string) => Column][] = [
      ['count', (n) => new Column(new AggregateCall('count', nameToExpr(n)))],
      ['mean', (n) => new Column(new AggregateCall('avg', nameToExpr(n)))],
      ['stddev', (n) => new Column(new AggregateCall('stddev', nameToExpr(n)))],
      ['min', (n) => new Column(new AggregateCall('min', nameToExpr(n)))],
      ['max', (n) => new Column(new AggregateCall('max', nameToExpr(n)))],
    ];
    const numeric = new Set(this.dtypes.filter(([, t]) => t !== 'string').map(([n]) => n.toLowerCase()));
    const parts = stats.map(([label, fn]) =>
      this.agg(
        ...[new Column(new Literal(label)).alias('summary')].concat(
          names.map((n) =>
            (label === 'mean' || label === 'stddev') && !numeric.has(n.toLowerCase())
              ? new Column(new Alias(new Literal(null), n))
              : fn(n).cast('string').alias(n),
          ),
        ),
      ),
    );
    return parts.reduce((a, b) => a.union(b));
  }

  /** Keeps the computed rows in memory after the first action. @example df.cache(); await df.count() */
  cache(): DataFrame {
    return this.persist(StorageLevel.MEMORY_ONLY);
  }
  /** Keeps the computed rows at the given storage level. @example df.persist(StorageLevel.MEMORY_AND_DISK) */
  persist(level: StorageLevel = StorageLevel.MEMORY_AND_DISK): DataFrame {
    if (this.plan instanceof CachedRelation) return this;
    // Spark caches in place: this DataFrame itself answers from the cache afterwards.
    (this as { plan: LogicalPlan }).plan = new CachedRelation(this.plan, level);
    return this;
  }
  /** Drops the cached rows. @example df.unpersist() */
  unpersist(): DataFrame {
    if (this.plan instanceof CachedRelation) {
      this.plan.unpersist();
      (this as { plan: LogicalPlan }).plan = this.plan.child;
    }
    return this;
  }
  /** Registers the DataFrame as a view for ctx.sql. @example df.createOrReplaceTempView('people') */
  createOrReplaceTempView(name: string): void {
    this.ctx.registerView(name, this.plan);
  }
  /** Writes the rows out: parquet, csv or json. @example await df.write.mode('overwrite').partitionBy('date').parquet('lake/hours') */
  get write(): DataFrameWriter {
    return new DataFrameWriter(this);
  }

  // ---- actions ----

  /** The optimised plan run on the engine, as rows in the engine's form (arrays in column order, timestamps as epoch ms). @example await df.executeRows().count() */
  executeRows(): RDD<Row> {
    return optimize(this.plan).execute(this.ctx.rddContext);
  }
  /** The rows as an RDD of plain objects. @example await df.rdd.map((r) => r.age).sum() */
  get rdd(): RDD<Record<string, unknown>> {
    const toObject = this.rowConverter();
    return this.executeRows().map(toObject);
  }
  /** Every row as a plain object, keys in column order. @example await df.collect() // [{ name: 'Alice', age: 2 }, ...] */
  async collect(): Promise<Record<string, unknown>[]> {
    const rows = await this.executeRows().collect();
    return rows.map(this.rowConverter());
  }
  /** The number of rows. @example await df.count() // 2 */
  async count(): Promise<number> {
    const counted = await this.withPlan(new Aggregate([], [new Alias(countStar(), 'count')], this.plan))
      .executeRows()
      .collect();
    return counted[0]![0] as number;
  }
  /** The first n rows. @example await df.take(2) */
  async take(n: number): Promise<Record<string, unknown>[]> {
    return this.limit(n).collect();
  }
  /** The first row, or undefined when there is none. @example await df.first() */
  async first(): Promise<Record<string, unknown> | undefined> {
    return (await this.take(1))[0];
  }
  /** The first n rows (default 1). @example await df.head(3) */
  async head(n = 1): Promise<Record<string, unknown>[]> {
    return this.take(n);
  }
  /** The first n rows as Spark's boxed table, the text show() prints. @example console.log(await df.showString(5)) */
  async showString(n = 20, truncate: boolean | number = true): Promise<string> {
    const rows = await this.limit(n + 1)
      .executeRows()
      .collect();
    return showString(this.plan.output, rows.slice(0, n), n, truncate, rows.length > n);
  }
  /** Prints the first n rows as Spark's boxed table; truncate cuts cells to 20 characters (or the given width). @example await df.show() */
  async show(n = 20, truncate: boolean | number = true): Promise<void> {
    process.stdout.write(await this.showString(n, truncate));
  }
  /** The logical plan, the optimised plan with what reaches the sources, and the RDD lineage. @example console.log(df.explainString()) */
  explainString(): string {
    const optimized = optimize(this.plan);
    return [
      '== Parsed Logical Plan ==',
      this.plan.treeString(),
      '',
      '== Optimized Logical Plan ==',
      optimized.treeString(),
      '',
      '== Physical Plan (RDD lineage) ==',
      optimized.execute(this.ctx.rddContext).toDebugString(),
      '',
    ].join('\n');
  }
  /** Prints explainString(). @example df.explain() */
  explain(): void {
    process.stdout.write(this.explainString());
  }

  private rowConverter(): (row: Row) => Record<string, unknown> {
    const attrs = this.plan.output;
    return (row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < attrs.length; i++) out[attrs[i]!.name] = toExternal(row[i], attrs[i]!.dataType);
      return out;
    };
  }

  /** A select with explode(...) as an item: a Generate node under the projection, the item reading its column. */
  private generate(exprs: readonly Expr[]): DataFrame | undefined {
    const at = exprs.findIndex((e) => e instanceof Explode || (e instanceof Alias && e.child instanceof Explode));
    if (at < 0) return undefined;
    const item = exprs[at]!;
    const explode = (item instanceof Alias ? item.child : item) as Explode;
    const generate = new Generate(explode.child, item instanceof Alias ? item.name : 'col', this.plan);
    const column = generate.output[generate.output.length - 1]!;
    const list = exprs.map((e, i) => (i === at ? new AttributeRef(column) : e));
    return this.withPlan(generate).select(...list.map((e) => new Column(e)));
  }

  /** A select with window functions: a Window node computes them as new columns, the items read those. */
  private window(exprs: readonly Expr[]): DataFrame | undefined {
    const inner = (e: Expr) => (e instanceof Alias ? e.child : e);
    const positions = exprs.flatMap((e, i) => (inner(e) instanceof WindowExpression ? [i] : []));
    if (positions.length === 0) return undefined;
    const windows = positions.map((i) => ({ expr: inner(exprs[i]!) as WindowExpression, name: exprs[i]!.toString() }));
    const specs = new Set(windows.map((w) => w.expr.spec.groupingText()));
    if (specs.size > 1) badArgument('select', 'windows', [...specs], 'one partitioning and order per select (chain withColumn for others)');
    const plan = new WindowPlan(windows, this.plan);
    const added = plan.output.slice(this.plan.output.length);
    const list = exprs.map((e, i) => (positions.includes(i) ? new AttributeRef(added[positions.indexOf(i)]!) : e));
    return this.withPlan(plan).select(...list.map((e) => new Column(e)));
  }

  private expandStars(exprs: readonly Expr[]): Expr[] {
    return exprs.flatMap((e) => (e instanceof Star ? e.expand(this.plan.output).map((a) => new AttributeRef(a)) : [e]));
  }
}

import { aggregate, Column, type ColumnLike, toExpr, type ValueLike, valueToExpr } from './column.js';
import { Literal, SortOrder } from './expressions/expression.js';
import { CaseWhen, Explode, ScalarFunction, TimeWindow } from './expressions/functions.js';
import { parseExpression } from './sql-expression.js';

const scalar = (name: string, ...args: ColumnLike[]) => new Column(new ScalarFunction(name, args.map(toExpr)));

/** The column of that name (`t.name` for a qualified one, `*` for all). @example F.col('age') */
export const col = (name: string): Column => new Column(toExpr(name));
/** Same as col. @example F.column('age') */
export const column = col;
/** A constant column. @example F.lit(1) */
export const lit = (value: string | number | boolean | Date | null): Column => new Column(new Literal(value));
/** A SQL expression string as a column. @example F.expr('volts * amps AS power') */
export const expr = (sql: string): Column => new Column(parseExpression(sql));
/** Starts a CASE WHEN; chain .when() and .otherwise(). @example F.when(F.col('age').gt(3), 'old').otherwise('young') */
export const when = (condition: Column, value: ValueLike): Column => new Column(new CaseWhen([[condition.expr, valueToExpr(value)]]));
/** The first non-null argument. @example F.coalesce(F.col('a'), F.lit(0)) */
export const coalesce = (...columns: ColumnLike[]): Column => scalar('coalesce', ...columns);

/** Rows with a non-null value; F.count('*') counts every row. @example df.agg(F.count('*')) */
export const count = (c: ColumnLike): Column => aggregate('count', c);
/** Distinct non-null values (of several columns together when given several). @example df.agg(F.countDistinct('device')) */
export const countDistinct = (c: ColumnLike, ...more: ColumnLike[]): Column =>
  more.length === 0
    ? aggregate('count_distinct', c)
    : aggregate('count_distinct', new Column(new ScalarFunction('concat', [c, ...more].map(toExpr))));
/** The sum, null over no values. @example df.agg(F.sum('count')) */
export const sum = (c: ColumnLike): Column => aggregate('sum', c);
/** The mean, a double. @example df.agg(F.avg('age')) */
export const avg = (c: ColumnLike): Column => aggregate('avg', c);
/** Same as avg (and named avg, as in Spark). @example df.agg(F.mean('age')) */
export const mean = (c: ColumnLike): Column => aggregate('avg', c);
/** The least value. @example df.agg(F.min('age')) */
export const min = (c: ColumnLike): Column => aggregate('min', c);
/** The greatest value. @example df.agg(F.max('age')) */
export const max = (c: ColumnLike): Column => aggregate('max', c);
/** The sample standard deviation; null over fewer than two values. @example df.agg(F.stddev('value')) */
export const stddev = (c: ColumnLike): Column => aggregate('stddev', c);
/** The sample variance; null over fewer than two values. @example df.agg(F.variance('value')) */
export const variance = (c: ColumnLike): Column => aggregate('variance', c);
/** The first value of the group (order as the rows arrive). @example df.groupBy('name').agg(F.first('age')) */
export const first = (c: ColumnLike): Column => aggregate('first', c);
/** The last value of the group. @example df.groupBy('name').agg(F.last('age')) */
export const last = (c: ColumnLike): Column => aggregate('last', c);
/** The non-null values as an array. @example df.agg(F.collectList('age')) */
export const collectList = (c: ColumnLike): Column => aggregate('collect_list', c, [], 'collect_list');
/** The distinct non-null values as an array. @example df.agg(F.collectSet('age')) */
export const collectSet = (c: ColumnLike): Column => aggregate('collect_set', c, [], 'collect_set');
/**
 * The percentile (or an array of them) as Spark's percentile_approx answers it: the smallest
 * value with no more than that share of values at or below it. Computed exactly here.
 * @example df.agg(F.percentileApprox('value', 0.95))
 */
export const percentileApprox = (c: ColumnLike, percentage: number | readonly number[], accuracy = 10000): Column =>
  aggregate('percentile_approx', c, [percentage, accuracy], 'percentile_approx');

/** Absolute value. @example F.abs(F.col('delta')) */
export const abs = (c: ColumnLike): Column => scalar('abs', c);
/** Rounds half up to scale decimals. @example F.round(F.col('mean'), 2) */
export const round = (c: ColumnLike, scale = 0): Column => new Column(new ScalarFunction('round', [toExpr(c), new Literal(scale)]));
/** Square root; NaN below zero. @example F.sqrt(F.col('variance')) */
export const sqrt = (c: ColumnLike): Column => scalar('sqrt', c);
/** Upper case. @example F.upper(F.col('name')) */
export const upper = (c: ColumnLike): Column => scalar('upper', c);
/** Lower case. @example F.lower(F.col('name')) */
export const lower = (c: ColumnLike): Column => scalar('lower', c);
/** Characters in the string. @example F.length(F.col('name')) */
export const length = (c: ColumnLike): Column => scalar('length', c);
/** Strings joined; null if any is null. @example F.concat(F.col('site'), F.lit('/'), F.col('device')) */
export const concat = (...columns: ColumnLike[]): Column => scalar('concat', ...columns);
/** The tumbling time window {start, end} a timestamp falls in. @example df.groupBy(F.window('ts', '10 minutes')).count() */
export const window = (timeColumn: ColumnLike, windowDuration: string): Column =>
  new Column(new TimeWindow(toExpr(timeColumn), windowDuration));
/** Descending sort key. @example df.orderBy(F.desc('age')) */
export const desc = (c: ColumnLike): Column => new Column(new SortOrder(toExpr(c), false));
/** Ascending sort key. @example df.orderBy(F.asc('age')) */
export const asc = (c: ColumnLike): Column => new Column(new SortOrder(toExpr(c), true));
/** The integers start, start+step, ... up to stop (inclusive), as an array. @example F.sequence(F.lit(0), F.lit(3)) // [0, 1, 2, 3] */
export const sequence = (start: ColumnLike, stop: ColumnLike, step?: ColumnLike): Column =>
  new Column(new ScalarFunction('sequence', [start, stop, ...(step === undefined ? [] : [step])].map(toExpr)));
/** One row per element of an array column (none for a null or empty one). @example df.select('id', F.explode(F.col('tags')).alias('tag')) */
export const explode = (c: ColumnLike): Column => new Column(new Explode(toExpr(c)));

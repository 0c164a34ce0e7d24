import { analysisError } from '../errors.js';
import { ArrayType, type DataType, DoubleType, LongType, typeName } from '../types.js';
import { type Attribute, type Bound, compareValues, type Evaluator, Expr, groupingKey, Literal } from './expression.js';

/**
 * A partial aggregate, in the shape map-side combining needs (Spark's
 * DeclarativeAggregate / aggregateByKey): a fresh buffer, a row folded in, two buffers
 * merged, the final value. Nulls are skipped by every function but first/last.
 */
export interface AggregateImpl {
  readonly dataType: DataType;
  init(): unknown;
  /** Folds in one row's value of the argument (evaluated once per row, however many aggregates read it). */
  update(buffer: unknown, value: unknown): unknown;
  merge(a: unknown, b: unknown): unknown;
  result(buffer: unknown): unknown;
}

type Factory = (input: DataType, params: readonly unknown[]) => AggregateImpl;

const isNull = (v: unknown) => v === null || v === undefined;

// Buffers are objects, not arrays: V8 keeps a double field in place, where an array slot
// would box a new number on every row.
type SumBuffer = { sum: number; seen: boolean };
type AvgBuffer = { sum: number; n: number };
const numericSum =
  (resultType: (t: DataType) => DataType): Factory =>
  (input) => ({
    dataType: resultType(input),
    init: (): SumBuffer => ({ sum: 0, seen: false }),
    update: (b, v) => {
      if (isNull(v)) return b;
      const buf = b as SumBuffer;
      buf.sum += v as number;
      buf.seen = true;
      return buf;
    },
    merge: (a, b) => {
      const [x, y] = [a as SumBuffer, b as SumBuffer];
      return { sum: x.sum + y.sum, seen: x.seen || y.seen };
    },
    result: (b) => ((b as SumBuffer).seen ? (b as SumBuffer).sum : null),
  });

const extreme =
  (sign: 1 | -1): Factory =>
  (input) => {
    // Numbers compare with < directly: the generic comparison costs a call per row.
    const numeric = input.kind === 'int' || input.kind === 'bigint' || input.kind === 'double';
    const better = numeric
      ? sign > 0
        ? (v: unknown, b: unknown) => (v as number) > (b as number)
        : (v: unknown, b: unknown) => (v as number) < (b as number)
      : (v: unknown, b: unknown) => compareValues(v, b) * sign > 0;
    return {
      dataType: input,
      init: () => null,
      update: (b, v) => {
        if (isNull(v)) return b;
        return b === null || better(v, b) ? v : b;
      },
      merge: (a, b) => (a === null ? b : b === null ? a : better(b, a) ? b : a),
      result: (b) => b,
    };
  };

// Welford's running moments, merged with Chan's formula: stable where sum-of-squares is not.
type Moments = { n: number; mean: number; m2: number };
const moments =
  (finish: (m: Moments) => number | null): Factory =>
  () => ({
    dataType: DoubleType,
    init: (): Moments => ({ n: 0, mean: 0, m2: 0 }),
    update: (b, v) => {
      if (isNull(v)) return b;
      const m = b as Moments;
      m.n += 1;
      const delta = (v as number) - m.mean;
      m.mean += delta / m.n;
      m.m2 += delta * ((v as number) - m.mean);
      return m;
    },
    merge: (a, b) => {
      const [x, y] = [a as Moments, b as Moments];
      if (x.n === 0) return y;
      if (y.n === 0) return x;
      const n = x.n + y.n;
      const delta = y.mean - x.mean;
      return { n, mean: x.mean + (delta * y.n) / n, m2: x.m2 + y.m2 + (delta * delta * x.n * y.n) / n };
    },
    result: (b) => finish(b as Moments),
  });

const sampleVariance = (m: Moments) => (m.n < 2 ? null : m.m2 / (m.n - 1));
const populationVariance = (m: Moments) => (m.n < 1 ? null : m.m2 / m.n);

const positional =
  (last: boolean): Factory =>
  (input) => ({
    dataType: input,
    init: () => ({ set: false, v: null as unknown }),
    update: (b, v) => {
      const buf = b as { set: boolean; v: unknown };
      if (buf.set && !last) return buf;
      buf.v = v ?? null;
      buf.set = true;
      return buf;
    },
    merge: (a, b) => {
      const [x, y] = [a as { set: boolean; v: unknown }, b as { set: boolean; v: unknown }];
      if (!x.set) return y;
      if (!y.set) return x;
      return last ? y : x;
    },
    result: (b) => (b as { v: unknown }).v,
  });

const collecting = (finish: (values: unknown[], params: readonly unknown[]) => unknown, type: (t: DataType) => DataType): Factory => {
  return (input, params) => ({
    dataType: type(input),
    init: () => [],
    update: (b, v) => {
      if (!isNull(v)) (b as unknown[]).push(v);
      return b;
    },
    merge: (a, b) => {
      for (const v of b as unknown[]) (a as unknown[]).push(v);
      return a;
    },
    result: (b) => finish(b as unknown[], params),
  });
};

/** Spark's percentile_approx answer: the smallest value with no more than p of the values below or equal to it. */
function percentileOf(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

const factories: Record<string, Factory> = {
  count: () => ({
    dataType: LongType,
    init: () => 0,
    update: (b, v) => (isNull(v) ? b : (b as number) + 1),
    merge: (a, b) => (a as number) + (b as number),
    result: (b) => b,
  }),
  count_distinct: () => ({
    dataType: LongType,
    init: () => new Set(),
    update: (b, v) => {
      if (!isNull(v)) (b as Set<unknown>).add(groupingKey(v));
      return b;
    },
    merge: (a, b) => {
      for (const v of b as Set<unknown>) (a as Set<unknown>).add(v);
      return a;
    },
    result: (b) => (b as Set<unknown>).size,
  }),
  sum: numericSum((t) => (t.kind === 'double' ? DoubleType : LongType)),
  avg: () => ({
    dataType: DoubleType,
    init: (): AvgBuffer => ({ sum: 0, n: 0 }),
    update: (b, v) => {
      if (isNull(v)) return b;
      const buf = b as AvgBuffer;
      buf.sum += v as number;
      buf.n++;
      return buf;
    },
    merge: (a, b) => ({ sum: (a as AvgBuffer).sum + (b as AvgBuffer).sum, n: (a as AvgBuffer).n + (b as AvgBuffer).n }),
    result: (b) => ((b as AvgBuffer).n === 0 ? null : (b as AvgBuffer).sum / (b as AvgBuffer).n),
  }),
  min: extreme(-1),
  max: extreme(1),
  stddev: moments((m) => ((v) => (v === null ? null : Math.sqrt(v)))(sampleVariance(m))),
  stddev_pop: moments((m) => ((v) => (v === null ? null : Math.sqrt(v)))(populationVariance(m))),
  variance: moments(sampleVariance),
  var_pop: moments(populationVariance),
  first: positional(false),
  last: positional(true),
  collect_list: collecting(
    (values) => values,
    (t) => ArrayType(t),
  ),
  collect_set: collecting(
    (values) => [...new Map(values.map((v) => [groupingKey(v), v])).values()],
    (t) => ArrayType(t),
  ),
  percentile_approx: collecting(
    (values, params) => {
      const sorted = (values as number[]).slice().sort((a, b) => a - b);
      const p = params[0];
      return Array.isArray(p) ? p.map((x) => percentileOf(sorted, x as number)) : percentileOf(sorted, p as number);
    },
    (t) => t,
  ),
};

const aliases: Record<string, string> = {
  mean: 'avg',
  stddev_samp: 'stddev',
  std: 'stddev',
  var_samp: 'variance',
  countdistinct: 'count_distinct',
  collectlist: 'collect_list',
  collectset: 'collect_set',
  percentile: 'percentile_approx',
  percentileapprox: 'percentile_approx',
  approx_percentile: 'percentile_approx',
  first_value: 'first',
  last_value: 'last',
};

/** Names of the aggregate functions SQL and agg({...}) may call. */
export function aggregateFunctionNames(): string[] {
  return [...Object.keys(factories), ...Object.keys(aliases)];
}

export function isAggregateName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower in factories || lower in aliases;
}

/** An aggregate function call: count(x), avg(x), percentile_approx(x, 0.5)... */
export class AggregateCall extends Expr {
  readonly fn: string;
  constructor(
    name: string,
    readonly arg: Expr,
    readonly params: readonly unknown[] = [],
    /** The name in the column name; the function's own (avg for mean, as Spark names it) unless SQL called it otherwise. */
    readonly displayName?: string,
  ) {
    super();
    const lower = name.toLowerCase();
    this.fn = aliases[lower] ?? lower;
    if (!factories[this.fn])
      analysisError(`unknown aggregate function ${name}(); the known ones are ${aggregateFunctionNames().join(', ')}`);
  }
  override get isAggregate(): boolean {
    return true;
  }
  toString(): string {
    if (this.fn === 'count_distinct') return `count(DISTINCT ${this.arg})`;
    if (this.fn === 'percentile_approx')
      return `percentile_approx(${this.arg}, ${JSON.stringify(this.params[0])}, ${this.params[1] ?? 10000})`;
    return `${this.displayName ?? this.fn}(${this.arg})`;
  }
  children(): readonly Expr[] {
    return [this.arg];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new AggregateCall(this.fn, c[0]!, this.params, this.displayName);
  }
  bind(): Bound {
    return analysisError(`${this} is an aggregate: use it in agg(), groupBy().agg() or a SQL GROUP BY`);
  }
  /** The aggregate over rows of the given input, and the evaluator of its argument. */
  implement(input: readonly Attribute[]): { impl: AggregateImpl; argument: Evaluator } {
    const bound = this.arg.bind(input);
    const numericOnly = ['sum', 'avg', 'stddev', 'stddev_pop', 'variance', 'var_pop', 'percentile_approx'];
    if (numericOnly.includes(this.fn) && !['int', 'bigint', 'double', 'null'].includes(bound.dataType.kind)) {
      analysisError(`${this}: the argument is ${typeName(bound.dataType)}, expected a numeric type`);
    }
    return { impl: factories[this.fn]!(bound.dataType, this.params), argument: bound.evaluate };
  }
}

/** count(*): every row, nulls included. */
export function countStar(): AggregateCall {
  return new AggregateCall('count', new Literal(1));
}

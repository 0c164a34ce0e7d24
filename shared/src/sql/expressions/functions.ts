import { analysisError } from '../errors.js';
import { commonType, type DataType, DoubleType, LongType, NullType, StringType, StructField, StructType, TimestampType } from '../types.js';
import { type Attribute, type Bound, Expr, Literal } from './expression.js';
import { formatTimestamp } from './operators.js';

/** CASE WHEN c1 THEN v1 ... ELSE e END; without ELSE, a row no branch matches is null. */
export class CaseWhen extends Expr {
  constructor(
    readonly branches: readonly (readonly [Expr, Expr])[],
    readonly otherwise?: Expr,
  ) {
    super();
  }
  toString(): string {
    const whens = this.branches.map(([c, v]) => `WHEN ${c} THEN ${v}`).join(' ');
    return `CASE ${whens}${this.otherwise ? ` ELSE ${this.otherwise}` : ''} END`;
  }
  children(): readonly Expr[] {
    return [...this.branches.flat(), ...(this.otherwise ? [this.otherwise] : [])];
  }
  withChildren(c: readonly Expr[]): Expr {
    const branches = this.branches.map((_, i) => [c[2 * i]!, c[2 * i + 1]!] as const);
    return new CaseWhen(branches, this.otherwise ? c[c.length - 1] : undefined);
  }
  /** Adds a branch (F.when(...).when(...)). */
  when(condition: Expr, value: Expr): CaseWhen {
    return new CaseWhen([...this.branches, [condition, value]], this.otherwise);
  }
  bind(input: readonly Attribute[]): Bound {
    const bound = this.branches.map(([c, v]) => [c.bind(input), v.bind(input)] as const);
    const other = this.otherwise?.bind(input);
    let type: DataType = NullType;
    for (const [, v] of bound) type = commonType(type, v.dataType);
    if (other) type = commonType(type, other.dataType);
    const tests = bound.map(([c, v]) => [c.evaluate, v.evaluate] as const);
    const fallback = other?.evaluate ?? (() => null);
    return {
      dataType: type,
      evaluate: (row) => {
        for (const [test, value] of tests) if (test(row) === true) return value(row);
        return fallback(row);
      },
    };
  }
}

interface ScalarSpec {
  readonly arity: readonly [number, number];
  readonly type: (args: readonly DataType[]) => DataType;
  /** Gets non-null arguments unless nullSafe; a null argument otherwise gives null. */
  readonly apply: (args: unknown[]) => unknown;
  readonly nullSafe?: boolean;
}

const same = (args: readonly DataType[]) => args[0]!;
/** Elements sequence() makes at most: past it the query fails rather than fill the memory. */
export const sequenceLengthMax = 1_000_000;
const roundHalfUp = (value: number, scale: number): number => {
  const f = 10 ** scale;
  return (Math.sign(value) * Math.round(Math.abs(value) * f + Number.EPSILON)) / f;
};

const scalarSpecs: Record<string, ScalarSpec> = {
  abs: { arity: [1, 1], type: same, apply: ([v]) => Math.abs(v as number) },
  round: {
    arity: [1, 2],
    type: (args) => (args[0]!.kind === 'double' ? DoubleType : args[0]!),
    apply: ([v, s]) => roundHalfUp(v as number, (s as number | undefined) ?? 0),
  },
  sqrt: { arity: [1, 1], type: () => DoubleType, apply: ([v]) => ((v as number) < 0 ? Number.NaN : Math.sqrt(v as number)) },
  upper: { arity: [1, 1], type: () => StringType, apply: ([v]) => String(v).toUpperCase() },
  lower: { arity: [1, 1], type: () => StringType, apply: ([v]) => String(v).toLowerCase() },
  length: { arity: [1, 1], type: () => ({ kind: 'int' }), apply: ([v]) => [...String(v)].length },
  concat: { arity: [1, 255], type: () => StringType, apply: (args) => args.map(String).join('') },
  coalesce: {
    arity: [1, 255],
    type: (args) => args.reduce((a, b) => commonType(a, b), NullType as DataType),
    apply: (args) => args.find((v) => v !== null && v !== undefined) ?? null,
    nullSafe: true,
  },
  to_timestamp: { arity: [1, 1], type: () => TimestampType, apply: ([v]) => (typeof v === 'number' ? v : Date.parse(String(v))) },
  date_format: { arity: [2, 2], type: () => StringType, apply: ([v]) => formatTimestamp(v as number) },
  unix_timestamp: { arity: [1, 1], type: () => LongType, apply: ([v]) => Math.floor((v as number) / 1000) },
  sequence: {
    arity: [2, 3],
    type: () => ({ kind: 'array', element: LongType }),
    apply: ([start, stop, step]) => {
      const by = (step as number | undefined) ?? ((start as number) <= (stop as number) ? 1 : -1);
      if (by === 0 || Math.abs(((stop as number) - (start as number)) / by) > sequenceLengthMax) {
        analysisError(`sequence(${start}, ${stop}, ${by}): expected a non-zero step and at most ${sequenceLengthMax} elements`);
      }
      const out: number[] = [];
      for (let v = start as number; by > 0 ? v <= (stop as number) : v >= (stop as number); v += by) out.push(v);
      return out;
    },
  },
};

/** Names of the scalar functions SQL and selectExpr may call. */
export const scalarFunctionNames = (): string[] => [...Object.keys(scalarSpecs), 'window'];

/** A built-in scalar function: abs, round, sqrt, upper, lower, length, concat, coalesce. */
export class ScalarFunction extends Expr {
  constructor(
    readonly name: string,
    readonly args: readonly Expr[],
  ) {
    super();
    const spec = scalarSpecs[name];
    if (!spec) analysisError(`unknown function ${name}(); the known ones are ${scalarFunctionNames().join(', ')}`);
    if (args.length < spec.arity[0] || args.length > spec.arity[1]) {
      analysisError(
        `${name}() takes ${spec.arity[0]}${spec.arity[1] > spec.arity[0] ? ` to ${spec.arity[1]}` : ''} arguments, got ${args.length}`,
      );
    }
  }
  toString(): string {
    return `${this.name}(${this.args.join(', ')})`;
  }
  children(): readonly Expr[] {
    return this.args;
  }
  withChildren(c: readonly Expr[]): Expr {
    return new ScalarFunction(this.name, c);
  }
  bind(input: readonly Attribute[]): Bound {
    const spec = scalarSpecs[this.name]!;
    const bound = this.args.map((a) => a.bind(input));
    const evaluators = bound.map((b) => b.evaluate);
    const dataType = spec.type(bound.map((b) => b.dataType));
    if (spec.nullSafe) return { dataType, evaluate: (row) => spec.apply(evaluators.map((e) => e(row))) };
    if (evaluators.length === 1) {
      const [e] = evaluators;
      return { dataType, evaluate: (row) => ((v) => (v === null || v === undefined ? null : spec.apply([v])))(e!(row)) };
    }
    return {
      dataType,
      evaluate: (row) => {
        const values = evaluators.map((e) => e(row));
        return values.some((v) => v === null || v === undefined) ? null : spec.apply(values);
      },
    };
  }
}

const durationUnits: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/** Parses Spark's interval strings: '10 minutes', '1 hour', '30 seconds'. */
export function parseDuration(text: string, name = 'windowDuration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(millisecond|second|minute|hour|day|week)s?\s*$/i.exec(text);
  if (!match) analysisError(`${name} was ${JSON.stringify(text)}, expected a duration such as '10 minutes' or '1 hour'`);
  return Number(match[1]) * durationUnits[match[2]!.toLowerCase()]!;
}

const windowStruct = new StructType([new StructField('start', TimestampType), new StructField('end', TimestampType)]);

/**
 * window(time, '10 minutes'[, slide]) as a tumbling window: the struct {start, end} holding
 * the row's time. (Sliding windows, where a row falls in several, are not supported.)
 */
export class TimeWindow extends Expr {
  readonly durationMs: number;
  constructor(
    readonly time: Expr,
    readonly duration: string,
  ) {
    super();
    this.durationMs = parseDuration(duration);
  }
  toString(): string {
    return 'window';
  }
  children(): readonly Expr[] {
    return [this.time];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new TimeWindow(c[0]!, this.duration);
  }
  bind(input: readonly Attribute[]): Bound {
    const time = this.time.bind(input);
    if (time.dataType.kind !== 'timestamp' && time.dataType.kind !== 'bigint' && time.dataType.kind !== 'date') {
      analysisError(`window(): the time column ${this.time} is ${time.dataType.kind}, expected a timestamp`);
    }
    const e = time.evaluate;
    const size = this.durationMs;
    return {
      dataType: { kind: 'struct', struct: windowStruct },
      evaluate: (row) => {
        const t = e(row) as number | null;
        if (t === null || t === undefined) return null;
        const start = Math.floor(t / size) * size;
        return { start, end: start + size };
      },
    };
  }
}

export function lit(value: unknown): Literal {
  return new Literal(value);
}

/** explode(array): only valid as a whole select item or withColumn; the DataFrame turns it into a Generate node. */
export class Explode extends Expr {
  constructor(readonly child: Expr) {
    super();
  }
  toString(): string {
    return 'col';
  }
  children(): readonly Expr[] {
    return [this.child];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new Explode(c[0]!);
  }
  bind(): Bound {
    return analysisError(`explode(${this.child}) can only be a select item of its own (or a withColumn)`);
  }
}

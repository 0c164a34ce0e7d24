import { analysisError } from '../errors.js';
import {
  BooleanType,
  type DataType,
  DoubleType,
  IntegerType,
  isNumeric,
  LongType,
  StringType,
  TimestampType,
  typeName,
  widerNumeric,
} from '../types.js';
import { type Attribute, type Bound, compareValues, Expr } from './expression.js';

type BinaryKind = 'arithmetic' | 'comparison' | 'logic';
interface BinarySpec {
  readonly kind: BinaryKind;
  readonly apply: (a: never, b: never) => unknown;
}

// Integer division by zero and modulo by zero are null in Spark (spark.sql.ansi.enabled=false).
const binarySpecs: Record<string, BinarySpec> = {
  '+': { kind: 'arithmetic', apply: (a: number, b: number) => a + b },
  '-': { kind: 'arithmetic', apply: (a: number, b: number) => a - b },
  '*': { kind: 'arithmetic', apply: (a: number, b: number) => a * b },
  '/': { kind: 'arithmetic', apply: (a: number, b: number) => (b === 0 ? null : a / b) },
  '%': { kind: 'arithmetic', apply: (a: number, b: number) => (b === 0 ? null : a % b) },
  '=': { kind: 'comparison', apply: (a: unknown, b: unknown) => compareValues(a, b) === 0 },
  '!=': { kind: 'comparison', apply: (a: unknown, b: unknown) => compareValues(a, b) !== 0 },
  '<': { kind: 'comparison', apply: (a: unknown, b: unknown) => compareValues(a, b) < 0 },
  '<=': { kind: 'comparison', apply: (a: unknown, b: unknown) => compareValues(a, b) <= 0 },
  '>': { kind: 'comparison', apply: (a: unknown, b: unknown) => compareValues(a, b) > 0 },
  '>=': { kind: 'comparison', apply: (a: unknown, b: unknown) => compareValues(a, b) >= 0 },
};

/** Arithmetic and comparisons; a null on either side gives null, as in SQL. */
export class BinaryOp extends Expr {
  constructor(
    readonly op: string,
    readonly left: Expr,
    readonly right: Expr,
  ) {
    super();
    if (!binarySpecs[op]) analysisError(`unknown operator ${op}`);
  }
  toString(): string {
    return `(${this.left} ${this.op} ${this.right})`;
  }
  children(): readonly Expr[] {
    return [this.left, this.right];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new BinaryOp(this.op, c[0]!, c[1]!);
  }
  bind(input: readonly Attribute[]): Bound {
    const spec = binarySpecs[this.op]!;
    const l = this.left.bind(input);
    const r = this.right.bind(input);
    const apply = spec.apply as (a: unknown, b: unknown) => unknown;
    const le = l.evaluate;
    const re = r.evaluate;
    if (spec.kind === 'comparison') {
      const [lc, rc] = coerceForComparison(l, r);
      return {
        dataType: BooleanType,
        evaluate: (row) => {
          const a = lc(le(row));
          if (a === null || a === undefined) return null;
          const b = rc(re(row));
          return b === null || b === undefined ? null : apply(a, b);
        },
      };
    }
    if (!isNumeric(l.dataType) && l.dataType.kind !== 'timestamp') badOperand(this, l.dataType);
    if (!isNumeric(r.dataType) && r.dataType.kind !== 'timestamp') badOperand(this, r.dataType);
    const resultType = this.op === '/' ? DoubleType : arithmeticType(l.dataType, r.dataType);
    const integral = resultType.kind === 'int' || resultType.kind === 'bigint';
    return {
      dataType: resultType,
      evaluate: (row) => {
        const a = le(row);
        if (a === null || a === undefined) return null;
        const b = re(row);
        if (b === null || b === undefined) return null;
        const v = apply(a, b) as number | null;
        // Integer arithmetic truncates as the JVM's does (7 % 2, -7 / 2 stay integral for % only; / is always double).
        return integral && v !== null ? Math.trunc(v) : v;
      },
    };
  }
}

function arithmeticType(a: DataType, b: DataType): DataType {
  if (a.kind === 'timestamp' || b.kind === 'timestamp') return LongType;
  return widerNumeric(a, b);
}

function badOperand(expr: Expr, type: DataType): never {
  return analysisError(`cannot evaluate ${expr}: an operand is ${typeName(type)}, expected a numeric type`);
}

/** Comparing a timestamp with a string literal compares instants, as Spark casts the string. */
function coerceForComparison(l: Bound, r: Bound): [(v: unknown) => unknown, (v: unknown) => unknown] {
  const same = (v: unknown) => v;
  const toTime = (v: unknown) => (typeof v === 'string' ? parseTimestamp(v) : v);
  const toNumber = (v: unknown) => (typeof v === 'string' ? numberOrNull(v) : v);
  const isTime = (t: DataType) => t.kind === 'timestamp' || t.kind === 'date';
  if (isTime(l.dataType) && r.dataType.kind === 'string') return [same, toTime];
  if (isTime(r.dataType) && l.dataType.kind === 'string') return [toTime, same];
  if (isNumeric(l.dataType) && r.dataType.kind === 'string') return [same, toNumber];
  if (isNumeric(r.dataType) && l.dataType.kind === 'string') return [toNumber, same];
  return [same, same];
}

function numberOrNull(text: string): number | null {
  const n = Number(text.trim());
  return text.trim() === '' || Number.isNaN(n) ? null : n;
}

/** Parses a timestamp as Spark reads one: ISO-8601, or `yyyy-MM-dd HH:mm:ss` taken as UTC. */
export function parseTimestamp(text: string): number | null {
  let t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  if (/^\d{4}-\d{2}-\d{2} \d/.test(t)) t = t.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/.test(t)) t = t.length === 10 ? `${t}T00:00:00Z` : `${t}Z`;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

/** AND / OR with SQL's three-valued logic: false AND null is false, true OR null is true. */
export class Logic extends Expr {
  constructor(
    readonly op: 'AND' | 'OR',
    readonly left: Expr,
    readonly right: Expr,
  ) {
    super();
  }
  toString(): string {
    return `(${this.left} ${this.op} ${this.right})`;
  }
  children(): readonly Expr[] {
    return [this.left, this.right];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new Logic(this.op, c[0]!, c[1]!);
  }
  bind(input: readonly Attribute[]): Bound {
    const l = this.left.bind(input).evaluate;
    const r = this.right.bind(input).evaluate;
    if (this.op === 'AND') {
      return {
        dataType: BooleanType,
        evaluate: (row) => {
          const a = l(row);
          if (a === false) return false;
          const b = r(row);
          if (b === false) return false;
          return a === null || a === undefined || b === null || b === undefined ? null : true;
        },
      };
    }
    return {
      dataType: BooleanType,
      evaluate: (row) => {
        const a = l(row);
        if (a === true) return true;
        const b = r(row);
        if (b === true) return true;
        return a === null || a === undefined || b === null || b === undefined ? null : false;
      },
    };
  }
}

type UnaryKind = 'NOT' | 'IS NULL' | 'IS NOT NULL' | '-';
/** NOT, unary minus, IS NULL and IS NOT NULL. */
export class Unary extends Expr {
  constructor(
    readonly op: UnaryKind,
    readonly child: Expr,
  ) {
    super();
  }
  toString(): string {
    if (this.op === 'NOT') return `(NOT ${this.child})`;
    if (this.op === '-') return `(- ${this.child})`;
    return `(${this.child} ${this.op})`;
  }
  children(): readonly Expr[] {
    return [this.child];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new Unary(this.op, c[0]!);
  }
  bind(input: readonly Attribute[]): Bound {
    const child = this.child.bind(input);
    const e = child.evaluate;
    switch (this.op) {
      case 'NOT':
        return { dataType: BooleanType, evaluate: (row) => ((v) => (v === null || v === undefined ? null : !v))(e(row)) };
      case '-':
        return { dataType: child.dataType, evaluate: (row) => ((v) => (v === null || v === undefined ? null : -(v as number)))(e(row)) };
      case 'IS NULL':
        return { dataType: BooleanType, evaluate: (row) => ((v) => v === null || v === undefined)(e(row)) };
      default:
        return { dataType: BooleanType, evaluate: (row) => ((v) => v !== null && v !== undefined)(e(row)) };
    }
  }
}

/** `x IN (a, b, c)`: null when x is null, or when no value matches and the list holds a null. */
export class In extends Expr {
  constructor(
    readonly value: Expr,
    readonly list: readonly Expr[],
  ) {
    super();
  }
  toString(): string {
    return `(${this.value} IN (${this.list.join(', ')}))`;
  }
  children(): readonly Expr[] {
    return [this.value, ...this.list];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new In(c[0]!, c.slice(1));
  }
  bind(input: readonly Attribute[]): Bound {
    const v = this.value.bind(input).evaluate;
    const items = this.list.map((x) => x.bind(input).evaluate);
    return {
      dataType: BooleanType,
      evaluate: (row) => {
        const value = v(row);
        if (value === null || value === undefined) return null;
        let sawNull = false;
        for (const item of items) {
          const candidate = item(row);
          if (candidate === null || candidate === undefined) sawNull = true;
          else if (compareValues(value, candidate) === 0) return true;
        }
        return sawNull ? null : false;
      },
    };
  }
}

/** LIKE with SQL's `%` and `_`, or startsWith; null in, null out. */
export class Like extends Expr {
  constructor(
    readonly value: Expr,
    readonly pattern: Expr,
    readonly mode: 'LIKE' | 'startswith' = 'LIKE',
  ) {
    super();
  }
  toString(): string {
    return this.mode === 'LIKE' ? `${this.value} LIKE ${this.pattern}` : `startswith(${this.value}, ${this.pattern})`;
  }
  children(): readonly Expr[] {
    return [this.value, this.pattern];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new Like(c[0]!, c[1]!, this.mode);
  }
  bind(input: readonly Attribute[]): Bound {
    const v = this.value.bind(input).evaluate;
    const p = this.pattern.bind(input).evaluate;
    const cache = new Map<string, RegExp>();
    const regexOf = (pattern: string): RegExp => {
      let re = cache.get(pattern);
      if (!re) {
        const body = pattern
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace(/%/g, '.*')
          .replace(/_/g, '.');
        re = new RegExp(`^${body}$`, 's');
        cache.set(pattern, re);
      }
      return re;
    };
    return {
      dataType: BooleanType,
      evaluate: (row) => {
        const value = v(row);
        const pattern = p(row);
        if (value === null || value === undefined || pattern === null || pattern === undefined) return null;
        if (this.mode === 'startswith') return String(value).startsWith(String(pattern));
        return regexOf(String(pattern)).test(String(value));
      },
    };
  }
}

/** CAST(x AS type): a value that does not convert becomes null, as Spark does without ANSI mode. */
export class Cast extends Expr {
  constructor(
    readonly child: Expr,
    readonly to: DataType,
  ) {
    super();
  }
  toString(): string {
    return `CAST(${this.child} AS ${typeName(this.to).toUpperCase()})`;
  }
  children(): readonly Expr[] {
    return [this.child];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new Cast(c[0]!, this.to);
  }
  bind(input: readonly Attribute[]): Bound {
    const child = this.child.bind(input);
    const convert = castFunction(child.dataType, this.to);
    const e = child.evaluate;
    return { dataType: this.to, evaluate: (row) => ((v) => (v === null || v === undefined ? null : convert(v)))(e(row)) };
  }
}

/** Formats epoch ms as Spark prints a timestamp: `2026-12-02 14:30:00` (UTC), with milliseconds only when present. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  return text.endsWith('.000') ? text.slice(0, -4) : text;
}

/** A double as Java prints it: 12.0, 1.5, 1.0E7. */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return `${v}.0`;
  const text = String(v);
  // Java prints large and small doubles as 1.0E7, 1.5E-5.
  if (Math.abs(v) >= 1e7 || (Math.abs(v) < 1e-3 && v !== 0)) {
    const [mantissa, exponent] = v.toExponential().split('e');
    return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  return text;
}

export function castFunction(from: DataType, to: DataType): (v: unknown) => unknown {
  const isTime = from.kind === 'timestamp' || from.kind === 'date';
  switch (to.kind) {
    case 'string':
      if (isTime) return (v) => (from.kind === 'date' ? formatTimestamp(v as number).slice(0, 10) : formatTimestamp(v as number));
      if (from.kind === 'double') return (v) => formatDouble(v as number);
      return (v) => (Array.isArray(v) || typeof v === 'object' ? JSON.stringify(v) : String(v));
    case 'int':
    case 'bigint':
      return (v) => {
        const n = typeof v === 'boolean' ? Number(v) : typeof v === 'string' ? numberOrNull(v) : (v as number);
        if (n === null || !Number.isFinite(n)) return null;
        return isTime ? Math.floor(n / 1000) : Math.trunc(n);
      };
    case 'double':
      return (v) => {
        const n = typeof v === 'boolean' ? Number(v) : typeof v === 'string' ? numberOrNull(v) : (v as number);
        return n === null ? null : isTime ? n / 1000 : n;
      };
    case 'boolean':
      return (v) => {
        if (typeof v === 'string') return /^(true|t|yes|y|1)$/i.test(v) ? true : /^(false|f|no|n|0)$/i.test(v) ? false : null;
        return Boolean(v);
      };
    case 'timestamp':
    case 'date': {
      const day = (ms: number | null) => (ms === null || to.kind === 'timestamp' ? ms : Math.floor(ms / 86_400_000) * 86_400_000);
      // Numbers cast to timestamp are seconds since the epoch, as in Spark.
      return (v) => day(typeof v === 'string' ? parseTimestamp(v) : isTime ? (v as number) : (v as number) * 1000);
    }
    default:
      return analysisError(`cannot cast ${typeName(from)} to ${typeName(to)}`);
  }
}

export { IntegerType, StringType, TimestampType };

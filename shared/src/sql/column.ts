import { AggregateCall, countStar } from './expressions/aggregates.js';
import { Alias, ColumnRef, type Expr, Literal, SortOrder, Star } from './expressions/expression.js';
import { CaseWhen } from './expressions/functions.js';
import { BinaryOp, Cast, In, Like, Logic, Unary } from './expressions/operators.js';
import { WindowExpression } from './expressions/window-expression.js';
import { type DataType, parseDataType } from './types.js';
import type { WindowSpec } from './window.js';

/** What column arguments accept: a Column, or a column name. */
export type ColumnLike = Column | string;
/** What value arguments accept: a Column, or a literal. */
export type ValueLike = Column | string | number | boolean | Date | null;

/** A column name, `t.name` or `*`, as an expression. */
export function nameToExpr(name: string): Expr {
  if (name === '*') return new Star();
  const dot = name.lastIndexOf('.');
  if (dot > 0 && !name.startsWith('`')) {
    const [qualifier, column] = [name.slice(0, dot), name.slice(dot + 1)];
    return column === '*' ? new Star(qualifier) : new ColumnRef(column, qualifier);
  }
  return new ColumnRef(name.replace(/^`|`$/g, ''));
}

export function toExpr(value: ColumnLike): Expr {
  return value instanceof Column ? value.expr : nameToExpr(value);
}

/** A literal unless it is a Column already (PySpark's `df.a + 1`, where 1 is a value, not a name). */
export function valueToExpr(value: ValueLike): Expr {
  return value instanceof Column ? value.expr : new Literal(value);
}

/**
 * A column expression, with Spark's Scala Column methods in place of Python's operators
 * (`col('a').plus(1)` for `col('a') + 1`). Columns are immutable: each method builds a new one.
 */
export class Column {
  constructor(readonly expr: Expr) {}

  /** Sum. @example col('volts').plus(1) */
  plus(other: ValueLike): Column {
    return new Column(new BinaryOp('+', this.expr, valueToExpr(other)));
  }
  /** Difference. @example col('max').minus(col('min')) */
  minus(other: ValueLike): Column {
    return new Column(new BinaryOp('-', this.expr, valueToExpr(other)));
  }
  /** Product. @example col('volts').multiply(col('amps')) */
  multiply(other: ValueLike): Column {
    return new Column(new BinaryOp('*', this.expr, valueToExpr(other)));
  }
  /** Quotient, always a double; division by zero is null. @example col('sum').divide(col('count')) */
  divide(other: ValueLike): Column {
    return new Column(new BinaryOp('/', this.expr, valueToExpr(other)));
  }
  /** Remainder; by zero is null. @example col('id').mod(2) */
  mod(other: ValueLike): Column {
    return new Column(new BinaryOp('%', this.expr, valueToExpr(other)));
  }
  /** Equality; null if either side is null. @example col('metric').equalTo('temp') */
  equalTo(other: ValueLike): Column {
    return new Column(new BinaryOp('=', this.expr, valueToExpr(other)));
  }
  /** Inequality. @example col('site').notEqual('lab') */
  notEqual(other: ValueLike): Column {
    return new Column(new BinaryOp('!=', this.expr, valueToExpr(other)));
  }
  /** Less than. @example col('age').lt(3) */
  lt(other: ValueLike): Column {
    return new Column(new BinaryOp('<', this.expr, valueToExpr(other)));
  }
  /** Less than or equal. @example col('age').leq(3) */
  leq(other: ValueLike): Column {
    return new Column(new BinaryOp('<=', this.expr, valueToExpr(other)));
  }
  /** Greater than. @example col('age').gt(3) */
  gt(other: ValueLike): Column {
    return new Column(new BinaryOp('>', this.expr, valueToExpr(other)));
  }
  /** Greater than or equal. @example col('age').geq(3) */
  geq(other: ValueLike): Column {
    return new Column(new BinaryOp('>=', this.expr, valueToExpr(other)));
  }
  /** Logical AND, three-valued. @example col('a').gt(1).and(col('b').lt(2)) */
  and(other: Column): Column {
    return new Column(new Logic('AND', this.expr, other.expr));
  }
  /** Logical OR, three-valued. @example col('a').isNull().or(col('a').gt(1)) */
  or(other: Column): Column {
    return new Column(new Logic('OR', this.expr, other.expr));
  }
  /** Logical NOT. @example col('ok').not() */
  not(): Column {
    return new Column(new Unary('NOT', this.expr));
  }
  /** Negation. @example col('delta').negate() */
  negate(): Column {
    return new Column(new Unary('-', this.expr));
  }
  /** True where the value is null. @example col('name').isNull() */
  isNull(): Column {
    return new Column(new Unary('IS NULL', this.expr));
  }
  /** True where the value is not null. @example col('name').isNotNull() */
  isNotNull(): Column {
    return new Column(new Unary('IS NOT NULL', this.expr));
  }
  /** Membership in a list of values. @example col('name').isin('Alice', 'Bob') */
  isin(...values: (ValueLike | readonly ValueLike[])[]): Column {
    const flat = values.flat() as ValueLike[];
    return new Column(new In(this.expr, flat.map(valueToExpr)));
  }
  /** lower <= value <= upper. @example col('age').between(2, 4) */
  between(lower: ValueLike, upper: ValueLike): Column {
    return this.geq(lower).and(this.leq(upper));
  }
  /** SQL LIKE with % and _. @example col('name').like('Al%') */
  like(pattern: string): Column {
    return new Column(new Like(this.expr, new Literal(pattern)));
  }
  /** True where the string starts with the prefix. @example col('device').startsWith('atm-') */
  startsWith(prefix: ValueLike): Column {
    return new Column(new Like(this.expr, valueToExpr(prefix), 'startswith'));
  }
  /** Names the column. @example col('age').alias('years') */
  alias(name: string): Column {
    return new Column(new Alias(this.expr, name));
  }
  /** Same as alias. @example col('age').as('years') */
  as(name: string): Column {
    return this.alias(name);
  }
  /** Converts to another type: 'int', 'bigint', 'double', 'string', 'boolean', 'timestamp'. @example col('age').cast('string') */
  cast(to: string | DataType): Column {
    return new Column(new Cast(this.expr, typeof to === 'string' ? parseDataType(to) : to));
  }
  /** Ascending sort key, nulls first. @example df.orderBy(col('age').asc()) */
  asc(): Column {
    return new Column(new SortOrder(this.expr, true));
  }
  /** Descending sort key, nulls last. @example df.orderBy(col('age').desc()) */
  desc(): Column {
    return new Column(new SortOrder(this.expr, false));
  }
  /** Ascending, nulls last. @example col('age').ascNullsLast() */
  ascNullsLast(): Column {
    return new Column(new SortOrder(this.expr, true, false));
  }
  /** Descending, nulls first. @example col('age').descNullsFirst() */
  descNullsFirst(): Column {
    return new Column(new SortOrder(this.expr, false, true));
  }
  /** This aggregate over a window of rows. @example F.sum('count').over(Window.partitionBy('device_id').orderBy('hour').rowsBetween(-2, 0)) */
  over(window: WindowSpec): Column {
    const call = this.expr instanceof Alias ? this.expr.child : this.expr;
    if (!(call instanceof AggregateCall)) throw new TypeError(`over() takes an aggregate such as F.sum(...), got ${call}`);
    return new Column(new WindowExpression(call, window));
  }
  /** Adds a branch to F.when(...). @example F.when(col('a').gt(1), 'big').when(col('a').gt(0), 'small') */
  when(condition: Column, value: ValueLike): Column {
    if (!(this.expr instanceof CaseWhen)) throw new TypeError('when() can only follow F.when(...)');
    return new Column(this.expr.when(condition.expr, valueToExpr(value)));
  }
  /** The value where no branch of F.when(...) matched. @example F.when(col('a').gt(1), 'big').otherwise('small') */
  otherwise(value: ValueLike): Column {
    if (!(this.expr instanceof CaseWhen)) throw new TypeError('otherwise() can only follow F.when(...)');
    return new Column(new CaseWhen(this.expr.branches, valueToExpr(value)));
  }
  /** The column's name as Spark would give it. @example String(col('a').plus(1)) // '(a + 1)' */
  toString(): string {
    return `Column<'${this.expr}'>`;
  }
  /** True when this column computes an aggregate. @example F.max('age').plus(1).isAggregate // true */
  get isAggregate(): boolean {
    return this.expr.isAggregate || this.expr.children().some((c) => new Column(c).isAggregate);
  }
}

export function aggregate(name: string, column: ColumnLike, params: readonly unknown[] = [], displayName?: string): Column {
  if (column === '*' && name === 'count') return new Column(countStar());
  const expr = column === '*' ? new Literal(1) : toExpr(column);
  return new Column(new AggregateCall(name, expr, params, displayName));
}

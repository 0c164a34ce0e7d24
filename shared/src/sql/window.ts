import { type ColumnLike, toExpr } from './column.js';
import { badArgument } from './errors.js';
import type { Expr } from './expressions/expression.js';
import { SortOrder } from './expressions/expression.js';
import { toSortOrder } from './plan/sort.js';

/** A frame bound: rows (or order values) before (negative) or after the current one; the extremes are unbounded. */
export type FrameBound = number;

/** Which rows of its partition a window function sees: by row count, or by the order column's value. */
export interface WindowFrame {
  readonly kind: 'rows' | 'range';
  readonly start: FrameBound;
  readonly end: FrameBound;
}

/**
 * A window specification (PySpark's WindowSpec): how rows are partitioned, ordered, and which
 * of them a window function sees. Build one with `Window.partitionBy(...)`.
 */
export class WindowSpec {
  constructor(
    readonly partitionExprs: readonly Expr[] = [],
    readonly orderExprs: readonly SortOrder[] = [],
    readonly frame?: WindowFrame,
  ) {}

  /** Rows with equal values of these columns share a window. @example Window.partitionBy('device_id', 'metric') */
  partitionBy(...cols: ColumnLike[]): WindowSpec {
    return new WindowSpec(cols.map(toExpr), this.orderExprs, this.frame);
  }
  /** The order within a partition. @example Window.partitionBy('device_id').orderBy('window_start') */
  orderBy(...cols: ColumnLike[]): WindowSpec {
    return new WindowSpec(
      this.partitionExprs,
      cols.map((c) => toSortOrder(toExpr(c))),
      this.frame,
    );
  }
  /** The frame by row positions: start and end rows from the current one (0), negative before it. @example spec.rowsBetween(-2, 0) */
  rowsBetween(start: FrameBound, end: FrameBound): WindowSpec {
    return new WindowSpec(this.partitionExprs, this.orderExprs, frame('rows', start, end));
  }
  /** The frame by the order column's value: rows whose value lies within [current + start, current + end]. @example spec.rangeBetween(-2 * 3_600_000, 0) */
  rangeBetween(start: FrameBound, end: FrameBound): WindowSpec {
    if (this.orderExprs.length !== 1) badArgument('rangeBetween', 'orderBy', this.orderExprs.map(String), 'exactly one order column');
    return new WindowSpec(this.partitionExprs, this.orderExprs, frame('range', start, end));
  }
  /** The partitioning and order alone: window expressions that agree on it are computed by one shuffle. */
  groupingText(): string {
    return new WindowSpec(this.partitionExprs, this.orderExprs).toString();
  }
  toString(): string {
    const parts = [
      this.partitionExprs.length ? `PARTITION BY ${this.partitionExprs.join(', ')}` : '',
      this.orderExprs.length ? `ORDER BY ${this.orderExprs.join(', ')}` : '',
      this.frame ? `${this.frame.kind.toUpperCase()} BETWEEN ${boundText(this.frame.start)} AND ${boundText(this.frame.end)}` : '',
    ];
    return parts.filter(Boolean).join(' ');
  }
  /** The frame in effect: Spark's default is the whole partition without an order, up to the current row with one. */
  effectiveFrame(): WindowFrame {
    if (this.frame) return this.frame;
    return this.orderExprs.length
      ? { kind: 'range', start: Window.unboundedPreceding, end: Window.currentRow }
      : { kind: 'rows', start: Window.unboundedPreceding, end: Window.unboundedFollowing };
  }
}

function frame(kind: 'rows' | 'range', start: number, end: number): WindowFrame {
  if (Number.isNaN(start) || Number.isNaN(end) || start > end)
    badArgument(`${kind}Between`, 'start, end', [start, end], 'numbers with start <= end');
  return { kind, start, end };
}

function boundText(b: number): string {
  if (b === Window.unboundedPreceding) return 'UNBOUNDED PRECEDING';
  if (b === Window.unboundedFollowing) return 'UNBOUNDED FOLLOWING';
  if (b === 0) return 'CURRENT ROW';
  return b < 0 ? `${-b} PRECEDING` : `${b} FOLLOWING`;
}

/**
 * PySpark's Window: the entry point of window specifications.
 * @example F.avg('mean').over(Window.partitionBy('device_id').orderBy('hour').rangeBetween(-2, 0))
 */
export const Window = {
  unboundedPreceding: Number.NEGATIVE_INFINITY,
  unboundedFollowing: Number.POSITIVE_INFINITY,
  currentRow: 0,
  /** A spec partitioned by these columns. @example Window.partitionBy('device_id') */
  partitionBy: (...cols: ColumnLike[]): WindowSpec => new WindowSpec().partitionBy(...cols),
  /** A spec ordered by these columns (one partition). @example Window.orderBy('ts') */
  orderBy: (...cols: ColumnLike[]): WindowSpec => new WindowSpec().orderBy(...cols),
};

export { SortOrder };

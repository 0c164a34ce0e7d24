import type { RDD, RddContext } from '../../rdd/internal.js';
import type { AggregateImpl } from '../expressions/aggregates.js';
import { type Attribute, attribute, compareNullable, type Evaluator, type Row } from '../expressions/expression.js';
import type { WindowExpression } from '../expressions/window-expression.js';
import { LogicalPlan } from './logical-plan.js';

/**
 * Window functions (Spark's Window node): rows are shuffled by the partition columns, sorted
 * within each partition, and each row gets its frame's aggregate in a new column. A frame
 * from the start of the partition is folded as it grows; any other is folded per row (its
 * size is the cost). The expressions here share one partitioning and order; each has its own frame.
 */
export class WindowPlan extends LogicalPlan {
  readonly output: readonly Attribute[];
  constructor(
    readonly windows: readonly { expr: WindowExpression; name: string }[],
    readonly child: LogicalPlan,
    output?: readonly Attribute[],
  ) {
    super();
    this.output = output ?? [...child.output, ...windows.map((w) => attribute(w.name, w.expr.call.implement(child.output).impl.dataType))];
  }
  children(): readonly LogicalPlan[] {
    return [this.child];
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new WindowPlan(this.windows, c[0]!, this.output);
  }
  describe(): string {
    return `Window [${this.windows.map((w) => `${w.expr} AS ${w.name}`).join(', ')}]`;
  }
  execute(ctx: RddContext): RDD<Row> {
    const input = this.child.output;
    const spec = this.windows[0]!.expr.spec;
    const partitionKeys = spec.partitionExprs.map((e) => e.bind(input).evaluate);
    const orders = spec.orderExprs.map((o) => ({ evaluate: o.bind(input).evaluate, ascending: o.ascending, nullsFirst: o.nullsFirst }));
    const impls = this.windows.map((w) => w.expr.call.implement(input));
    const frames = this.windows.map((w) => w.expr.spec.effectiveFrame());
    const compare = (a: Row, b: Row) => {
      for (const o of orders) {
        const c = compareNullable(o.evaluate(a), o.evaluate(b), o.nullsFirst);
        if (c !== 0) return o.ascending ? c : -c;
      }
      return 0;
    };
    const keyOf = (row: Row) => JSON.stringify(partitionKeys.map((k) => k(row) ?? null));
    const orderValue = orders[0]?.evaluate;
    const descending = orders[0] ? !orders[0].ascending : false;
    return this.child
      .execute(ctx)
      .map((row): [string, Row] => [keyOf(row), row])
      .groupByKey(ctx.defaultParallelism)
      .flatMap(([, rows]) => {
        const sorted = rows.slice().sort(compare);
        const columns = impls.map(({ impl, argument }, w) => frameValues(sorted, impl, argument, frames[w]!, orderValue, descending));
        return sorted.map((row, i) => [...row, ...columns.map((c) => c[i])]);
      });
  }
}

/** Each row's frame aggregate, for rows sorted by the window's order. */
function frameValues(
  rows: readonly Row[],
  impl: AggregateImpl,
  argument: Evaluator,
  frame: { kind: 'rows' | 'range'; start: number; end: number },
  orderValue: Evaluator | undefined,
  descending: boolean,
): unknown[] {
  const n = rows.length;
  const args = rows.map(argument);
  // The frame of row i as [lo, hi] indexes.
  const bounds = (i: number): [number, number] => {
    if (frame.kind === 'rows') return [Math.max(0, i + frame.start), Math.min(n - 1, i + frame.end)];
    const v = orderValue!(rows[i]!) as number;
    // Descending order: "preceding" values are larger.
    const sign = descending ? -1 : 1;
    const lowValue = v + sign * frame.start;
    const highValue = v + sign * frame.end;
    const inFrame = (j: number) => {
      const w = orderValue!(rows[j]!) as number;
      return descending ? w <= lowValue && w >= highValue : w >= lowValue && w <= highValue;
    };
    let lo = i;
    while (lo > 0 && inFrame(lo - 1)) lo--;
    let hi = i;
    while (hi < n - 1 && inFrame(hi + 1)) hi++;
    if (!Number.isFinite(frame.start)) lo = 0;
    if (!Number.isFinite(frame.end)) hi = n - 1;
    return [lo, hi];
  };
  const out = new Array<unknown>(n);
  if (frame.start === Number.NEGATIVE_INFINITY) {
    // A frame from the start of the partition only grows: fold each row in once.
    let buffer = impl.init();
    let folded = -1;
    for (let i = 0; i < n; i++) {
      const [, hi] = bounds(i);
      while (folded < hi) buffer = impl.update(buffer, args[++folded]);
      const value = impl.result(buffer);
      // The buffer keeps growing: an array result (collect_list) is copied, not shared with later rows.
      out[i] = Array.isArray(value) ? value.slice() : value;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const [lo, hi] = bounds(i);
    out[i] = impl.result(copyResult(impl, args, lo, hi));
  }
  return out;
}

function copyResult(impl: AggregateImpl, args: readonly unknown[], lo: number, hi: number): unknown {
  let buffer = impl.init();
  for (let j = lo; j <= hi; j++) buffer = impl.update(buffer, args[j]);
  return buffer;
}

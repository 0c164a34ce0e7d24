import type { RDD, RddContext } from '../../rdd/internal.js';
import { compareNullable, type Row, SortOrder } from '../expressions/expression.js';
import { type LogicalPlan, PassThroughPlan } from './logical-plan.js';

/** ORDER BY: a total order over all rows, in one partition (each partition sorted, then merged). */
export class Sort extends PassThroughPlan {
  constructor(
    readonly order: readonly SortOrder[],
    readonly child: LogicalPlan,
  ) {
    super();
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Sort(this.order, c[0]!);
  }
  describe(): string {
    return `Sort [${this.order.join(', ')}], true`;
  }
  execute(ctx: RddContext): RDD<Row> {
    const keys = this.order.map((o) => ({
      evaluate: o.bind(this.child.output).evaluate,
      ascending: o.ascending,
      nullsFirst: o.nullsFirst,
    }));
    const compare = (a: Row, b: Row): number => {
      for (const key of keys) {
        const c = compareNullable(key.evaluate(a), key.evaluate(b), key.nullsFirst);
        if (c !== 0) return key.ascending || isNullish(key.evaluate(a)) || isNullish(key.evaluate(b)) ? c : -c;
      }
      return 0;
    };
    const sortPartition = (rows: readonly Row[]) => rows.slice().sort(compare);
    return this.child.execute(ctx).mapPartitions(sortPartition).coalesce(1).mapPartitions(sortPartition);
  }
}

const isNullish = (v: unknown) => v === null || v === undefined;

export function toSortOrder(e: import('../expressions/expression.js').Expr): SortOrder {
  return e instanceof SortOrder ? e : new SortOrder(e, true);
}

import type { RDD, RddContext } from '../../rdd/internal.js';
import type { Row } from '../expressions/expression.js';
import { type LogicalPlan, PassThroughPlan } from './logical-plan.js';

/** The first n rows: each partition keeps n, then one partition keeps n of those. */
export class Limit extends PassThroughPlan {
  constructor(
    readonly n: number,
    readonly child: LogicalPlan,
  ) {
    super();
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Limit(this.n, c[0]!);
  }
  describe(): string {
    return `GlobalLimit ${this.n}`;
  }
  execute(ctx: RddContext): RDD<Row> {
    const n = this.n;
    return this.child
      .execute(ctx)
      .mapPartitions((rows) => rows.slice(0, n), true)
      .coalesce(1)
      .mapPartitions((rows) => rows.slice(0, n), true);
  }
}

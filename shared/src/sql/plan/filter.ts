import type { RDD, RddContext } from '../../rdd/internal.js';
import type { Expr, Row } from '../expressions/expression.js';
import { type LogicalPlan, PassThroughPlan } from './logical-plan.js';

/** WHERE / HAVING: keeps rows whose condition is true (not false, not null). */
export class Filter extends PassThroughPlan {
  constructor(
    readonly condition: Expr,
    readonly child: LogicalPlan,
  ) {
    super();
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Filter(this.condition, c[0]!);
  }
  describe(): string {
    return `Filter ${this.condition}`;
  }
  execute(ctx: RddContext): RDD<Row> {
    const test = this.condition.bind(this.child.output).evaluate;
    return this.child.execute(ctx).filter((row) => test(row) === true);
  }
}

import type { RDD, RddContext } from '../../rdd/internal.js';
import type { Attribute, Expr, Row } from '../expressions/expression.js';
import { LogicalPlan } from './logical-plan.js';

/** WHERE / HAVING: keeps rows whose condition is true (not false, not null). */
export class Filter extends LogicalPlan {
  constructor(
    readonly condition: Expr,
    readonly child: LogicalPlan,
  ) {
    super();
  }
  get output(): readonly Attribute[] {
    return this.child.output;
  }
  children(): readonly LogicalPlan[] {
    return [this.child];
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

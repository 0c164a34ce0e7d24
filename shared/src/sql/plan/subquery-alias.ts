import type { RDD, RddContext } from '../../rdd/internal.js';
import type { Attribute, Row } from '../expressions/expression.js';
import { LogicalPlan } from './logical-plan.js';

/** `FROM hours h`, `df.alias('h')`: the same rows, their columns qualified by the alias. */
export class SubqueryAlias extends LogicalPlan {
  readonly output: readonly Attribute[];
  constructor(
    readonly alias: string,
    readonly child: LogicalPlan,
  ) {
    super();
    this.output = child.output.map((a) => ({ ...a, qualifiers: [alias] }));
  }
  children(): readonly LogicalPlan[] {
    return [this.child];
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new SubqueryAlias(this.alias, c[0]!);
  }
  describe(): string {
    return `SubqueryAlias ${this.alias}`;
  }
  execute(ctx: RddContext): RDD<Row> {
    return this.child.execute(ctx);
  }
}

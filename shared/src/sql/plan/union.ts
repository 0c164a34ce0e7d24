import type { RDD, RddContext } from '../../rdd/internal.js';
import { type Attribute, attribute, type Row } from '../expressions/expression.js';
import { commonType } from '../types.js';
import { LogicalPlan } from './logical-plan.js';

/** UNION ALL by position (Spark's Union); the names are the first input's, the types widened. */
export class Union extends LogicalPlan {
  readonly output: readonly Attribute[];
  constructor(
    readonly inputs: readonly LogicalPlan[],
    output?: readonly Attribute[],
  ) {
    super();
    this.output =
      output ??
      inputs[0]!.output.map((a, i) =>
        attribute(
          a.name,
          inputs.reduce((t, p) => commonType(t, p.output[i]!.dataType), a.dataType),
          true,
        ),
      );
  }
  children(): readonly LogicalPlan[] {
    return this.inputs;
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Union(c, this.output);
  }
  describe(): string {
    return 'Union';
  }
  execute(ctx: RddContext): RDD<Row> {
    return ctx.union(this.inputs.map((p) => p.execute(ctx)));
  }
}

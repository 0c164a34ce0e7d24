import type { RDD, RddContext } from '../../rdd/internal.js';
import { analysisError } from '../errors.js';
import { type Attribute, attribute, type Expr, type Row } from '../expressions/expression.js';
import { typeName } from '../types.js';
import { LogicalPlan } from './logical-plan.js';

/**
 * explode(array) (Spark's Generate): one output row per element of the array, the element in
 * a new column after the input's; a null or empty array gives no row, as explode does.
 */
export class Generate extends LogicalPlan {
  readonly output: readonly Attribute[];
  constructor(
    readonly generator: Expr,
    readonly name: string,
    readonly child: LogicalPlan,
    output?: readonly Attribute[],
  ) {
    super();
    if (output) this.output = output;
    else {
      const type = generator.bind(child.output).dataType;
      if (type.kind !== 'array') analysisError(`explode(${generator}): the argument is ${typeName(type)}, expected an array`);
      this.output = [...child.output, attribute(name, type.element)];
    }
  }
  children(): readonly LogicalPlan[] {
    return [this.child];
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Generate(this.generator, this.name, c[0]!, this.output);
  }
  describe(): string {
    return `Generate explode(${this.generator}), [${this.name}]`;
  }
  execute(ctx: RddContext): RDD<Row> {
    const evaluate = this.generator.bind(this.child.output).evaluate;
    return this.child.execute(ctx).flatMap((row) => {
      const items = evaluate(row);
      return Array.isArray(items) ? items.map((item) => [...row, item]) : [];
    });
  }
}

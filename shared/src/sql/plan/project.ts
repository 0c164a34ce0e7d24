import type { RDD, RddContext } from '../../rdd/internal.js';
import { Alias, type Attribute, AttributeRef, attribute, ColumnRef, type Expr, type Row } from '../expressions/expression.js';
import { LogicalPlan } from './logical-plan.js';

/** The output attribute of a projected expression: a bare column keeps its identity, anything else is new. */
export function projectedAttribute(expr: Expr, input: readonly Attribute[]): Attribute {
  if (expr instanceof ColumnRef && !expr.qualifier) return expr.resolve(input);
  if (expr instanceof ColumnRef) {
    try {
      return expr.resolve(input);
    } catch {
      // a struct field (window.start) is a new column
    }
  }
  if (expr instanceof AttributeRef) return input.find((a) => a.exprId === expr.attr.exprId) ?? expr.attr;
  const bound = expr.bind(input);
  return attribute(expr instanceof Alias ? expr.name : expr.toString(), bound.dataType, true);
}

/** SELECT expressions: one output column per expression (stars already expanded). */
export class Project extends LogicalPlan {
  readonly output: readonly Attribute[];
  constructor(
    readonly projectList: readonly Expr[],
    readonly child: LogicalPlan,
    output?: readonly Attribute[],
  ) {
    super();
    this.output = output ?? projectList.map((e) => projectedAttribute(e, child.output));
  }
  children(): readonly LogicalPlan[] {
    return [this.child];
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Project(this.projectList, c[0]!, this.output);
  }
  describe(): string {
    return `Project [${this.projectList.map((e, i) => (e instanceof Alias || !(e instanceof ColumnRef) ? `${e instanceof Alias ? e.child : e} AS ${this.output[i]!.name}#${this.output[i]!.exprId}` : `${e}#${this.output[i]!.exprId}`)).join(', ')}]`;
  }
  execute(ctx: RddContext): RDD<Row> {
    const evaluators = this.projectList.map((e) => e.bind(this.child.output).evaluate);
    const width = evaluators.length;
    return this.child.execute(ctx).mapPartitions((rows) => {
      const out = new Array<Row>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const next = new Array<unknown>(width);
        for (let j = 0; j < width; j++) next[j] = evaluators[j]!(row);
        out[i] = next;
      }
      return out;
    });
  }
}

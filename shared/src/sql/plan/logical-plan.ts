import type { RDD, RddContext } from '../../rdd/internal.js';
import {
  type Attribute,
  AttributeRef,
  ColumnRef,
  collectExprs,
  type Expr,
  type Row,
  resolveName,
  Star,
} from '../expressions/expression.js';
import { StructField, StructType } from '../types.js';

/**
 * A node of a logical plan (Spark's LogicalPlan): immutable, one operator per class. The
 * DataFrame's methods only build these; `execute` is the physical planning, turning the node
 * into RDD operations on the engine, which knows nothing about SQL.
 */
export abstract class LogicalPlan {
  abstract readonly output: readonly Attribute[];
  abstract children(): readonly LogicalPlan[];
  abstract withChildren(children: readonly LogicalPlan[]): LogicalPlan;
  /** One line: the operator and its arguments, as explain() prints it. */
  abstract describe(): string;
  abstract execute(ctx: RddContext): RDD<Row>;

  schema(): StructType {
    return new StructType(this.output.map((a) => new StructField(a.name, a.dataType, a.nullable)));
  }

  /** The plan as Spark prints it: the node, then its children indented under `+- `. */
  treeString(): string {
    const lines: string[] = [];
    const walk = (node: LogicalPlan, prefix: string, childPrefix: string): void => {
      lines.push(prefix + node.describe());
      const kids = node.children();
      kids.forEach((kid, i) => {
        const lastChild = i === kids.length - 1;
        walk(kid, `${childPrefix}${lastChild ? '+- ' : ':- '}`, `${childPrefix}${lastChild ? '   ' : ':  '}`);
      });
    };
    walk(this, '', '');
    return lines.join('\n');
  }
}

/** A node with no input: a source. */
export abstract class LeafPlan extends LogicalPlan {
  children(): readonly LogicalPlan[] {
    return [];
  }
  withChildren(): LogicalPlan {
    return this;
  }
}

/** A node over one input whose rows it keeps the shape of (Filter, Sort, Limit...): its output is its child's. */
export abstract class PassThroughPlan extends LogicalPlan {
  abstract readonly child: LogicalPlan;
  get output(): readonly Attribute[] {
    return this.child.output;
  }
  children(): readonly LogicalPlan[] {
    return [this.child];
  }
}

/** Rewrites a plan bottom-up with f (one optimiser rule). */
export function transformPlan(plan: LogicalPlan, f: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  const kids = plan.children();
  const next = kids.map((k) => transformPlan(k, f));
  const rebuilt = next.every((k, i) => k === kids[i]) ? plan : plan.withChildren(next);
  return f(rebuilt);
}

/** The attributes of input an expression reads (for column pruning). */
export function referencedAttributes(expr: Expr, input: readonly Attribute[]): Attribute[] {
  const out: Attribute[] = [];
  for (const node of collectExprs(expr, (e) => e instanceof ColumnRef || e instanceof AttributeRef || e instanceof Star)) {
    if (node instanceof Star) out.push(...node.expand(input));
    else if (node instanceof AttributeRef) {
      const found = input.find((a) => a.exprId === node.attr.exprId) ?? input[resolveName(node.attr.name, undefined, input)];
      if (found) out.push(found);
    } else out.push((node as ColumnRef).referenced(input));
  }
  return out;
}

export function attributeList(attrs: readonly Attribute[]): string {
  return `[${attrs.map((a) => `${a.name}#${a.exprId}`).join(', ')}]`;
}

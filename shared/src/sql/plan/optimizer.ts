import { type Attribute, AttributeRef, ColumnRef, type Expr, Literal } from '../expressions/expression.js';
import { BinaryOp, In, Logic, Unary } from '../expressions/operators.js';
import { Aggregate } from './aggregate.js';
import { CachedRelation } from './cached-relation.js';
import { DataSourceRelation, type PushedFilter } from './data-source-relation.js';
import { Filter } from './filter.js';
import { Join, splitConjuncts } from './join.js';
import { Limit } from './limit.js';
import { type LogicalPlan, referencedAttributes, transformPlan } from './logical-plan.js';
import { Project } from './project.js';
import { Sort } from './sort.js';
import { SubqueryAlias } from './subquery-alias.js';

/**
 * The optimiser: a list of rules, each a small rewrite of part of the tree (as Catalyst's
 * batches). Filters move down towards the sources and into them; sources then read only the
 * columns the plan needs.
 */
export function optimize(plan: LogicalPlan): LogicalPlan {
  let current = plan;
  for (const rule of [combineFilters, pushFilterThroughProject, pushFilterIntoJoin, pushFilterIntoSource]) {
    current = transformPlan(current, rule);
  }
  return pruneColumns(current, undefined);
}

const and = (parts: readonly Expr[]) => parts.reduce((a, b) => new Logic('AND', a, b));

function combineFilters(plan: LogicalPlan): LogicalPlan {
  if (plan instanceof Filter && plan.child instanceof Filter)
    return new Filter(new Logic('AND', plan.child.condition, plan.condition), plan.child.child);
  return plan;
}

/** Filter over a Project of plain columns: filter first, so the source sees the predicate. */
function pushFilterThroughProject(plan: LogicalPlan): LogicalPlan {
  if (!(plan instanceof Filter) || !(plan.child instanceof Project)) return plan;
  const project = plan.child;
  if (!project.projectList.every((e) => e instanceof ColumnRef || e instanceof AttributeRef)) return plan;
  if (!referencesResolve(plan.condition, project.child.output)) return plan;
  return new Project(
    project.projectList,
    transformPlan(new Filter(plan.condition, project.child), pushFilterThroughProject),
    project.output,
  );
}

function referencesResolve(e: Expr, input: readonly Attribute[]): boolean {
  try {
    referencedAttributes(e, input);
    e.bind(input);
    return true;
  } catch {
    return false;
  }
}

/** The conjuncts of a filter over an inner join that read one side only go to that side. */
function pushFilterIntoJoin(plan: LogicalPlan): LogicalPlan {
  if (!(plan instanceof Filter) || !(plan.child instanceof Join) || plan.child.joinType !== 'inner') return plan;
  const join = plan.child;
  const left: Expr[] = [];
  const right: Expr[] = [];
  const rest: Expr[] = [];
  const onlyFrom = (e: Expr, side: readonly Attribute[], other: readonly Attribute[]) =>
    referencesResolve(e, side) && !referencesResolve(e, other);
  for (const c of splitConjuncts(plan.condition)) {
    if (onlyFrom(c, join.left.output, join.right.output)) left.push(c);
    else if (onlyFrom(c, join.right.output, join.left.output)) right.push(c);
    else rest.push(c);
  }
  if (left.length === 0 && right.length === 0) return plan;
  const pushed = new Join(
    left.length ? pushFilterIntoSource(new Filter(and(left), join.left)) : join.left,
    right.length ? pushFilterIntoSource(new Filter(and(right), join.right)) : join.right,
    join.joinType,
    join.condition,
  );
  return rest.length ? new Filter(and(rest), pushed) : pushed;
}

/** Filter over a source: the `column op literal` conjuncts are handed to the source (and still checked here). */
function pushFilterIntoSource(plan: LogicalPlan): LogicalPlan {
  if (!(plan instanceof Filter)) return plan;
  let child = plan.child;
  const alias = child instanceof SubqueryAlias ? child : undefined;
  if (alias) child = alias.child;
  if (!(child instanceof DataSourceRelation)) return plan;
  const pushed = splitConjuncts(plan.condition).flatMap((c) => toPushedFilter(c, child.output) ?? []);
  if (pushed.length === 0) return plan;
  const relation = new DataSourceRelation(child.source, child.output, [...child.pushedFilters, ...pushed]);
  return new Filter(plan.condition, alias ? alias.withChildren([relation]) : relation);
}

const flipped: Record<string, PushedFilter['op']> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function columnName(e: Expr, input: readonly Attribute[]): string | undefined {
  if (!(e instanceof ColumnRef || e instanceof AttributeRef)) return undefined;
  try {
    return referencedAttributes(e, input)[0]?.name;
  } catch {
    return undefined;
  }
}

function literalValue(e: Expr): unknown {
  if (!(e instanceof Literal) || e.value === null) return undefined;
  return e.value instanceof Date ? e.value.getTime() : e.value;
}

export function toPushedFilter(e: Expr, input: readonly Attribute[]): PushedFilter | undefined {
  if (e instanceof BinaryOp && e.op in flipped) {
    const [lc, rc] = [columnName(e.left, input), columnName(e.right, input)];
    const [lv, rv] = [literalValue(e.left), literalValue(e.right)];
    if (lc && rv !== undefined) return { column: lc, op: e.op as PushedFilter['op'], value: rv };
    if (rc && lv !== undefined) return { column: rc, op: flipped[e.op]!, value: lv };
  }
  if (e instanceof In) {
    const column = columnName(e.value, input);
    const values = e.list.map(literalValue);
    if (column && values.every((v) => v !== undefined)) return { column, op: 'in', value: values };
  }
  if (e instanceof Unary && (e.op === 'IS NULL' || e.op === 'IS NOT NULL')) {
    const column = columnName(e.child, input);
    if (column) return { column, op: e.op === 'IS NULL' ? 'isnull' : 'isnotnull', value: null };
  }
  return undefined;
}

/** Column pruning, top down: each node asks its child only for what it and its parents read. */
function pruneColumns(plan: LogicalPlan, required: Set<number> | undefined): LogicalPlan {
  const refs = (exprs: readonly Expr[], input: readonly Attribute[]) => {
    const out = new Set<number>();
    for (const e of exprs) for (const a of referencedAttributes(e, input)) out.add(a.exprId);
    return out;
  };
  const union = (a: Set<number> | undefined, b: Set<number>) => (a ? new Set([...a, ...b]) : undefined);
  if (plan instanceof DataSourceRelation) {
    if (!required) return plan;
    const kept = plan.output.filter((a) => required.has(a.exprId));
    // Even count(*) needs rows: keep the narrowest column rather than none.
    return new DataSourceRelation(plan.source, kept.length ? kept : plan.output.slice(0, 1), plan.pushedFilters);
  }
  if (plan instanceof CachedRelation) return plan;
  if (plan instanceof Project) return plan.withChildren([pruneColumns(plan.child, refs(plan.projectList, plan.child.output))]);
  if (plan instanceof Aggregate)
    return plan.withChildren([pruneColumns(plan.child, refs([...plan.grouping, ...plan.aggregates], plan.child.output))]);
  if (plan instanceof Filter)
    return plan.withChildren([pruneColumns(plan.child, union(required, refs([plan.condition], plan.child.output)))]);
  if (plan instanceof Sort) return plan.withChildren([pruneColumns(plan.child, union(required, refs(plan.order, plan.child.output)))]);
  if (plan instanceof Limit || plan instanceof SubqueryAlias) {
    const child = plan.children()[0]!;
    // An alias passes ids through unchanged, so the same set applies below it.
    return plan.withChildren([pruneColumns(child, required)]);
  }
  if (plan instanceof Join) {
    const all = union(required, plan.condition ? refs([plan.condition], [...plan.left.output, ...plan.right.output]) : new Set());
    return plan.withChildren([pruneColumns(plan.left, all), pruneColumns(plan.right, all)]);
  }
  return plan.withChildren(plan.children().map((c) => pruneColumns(c, undefined)));
}

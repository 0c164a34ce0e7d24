import { SqlError } from './errors.js';
import {
  Alias,
  type Attribute,
  AttributeRef,
  ColumnRef,
  collectExprs,
  type Expr,
  SortOrder,
  Star,
  transformExpr,
} from './expressions/expression.js';
import { Aggregate } from './plan/aggregate.js';
import { Deduplicate } from './plan/distinct.js';
import { Filter } from './plan/filter.js';
import { Join, type JoinType, usingJoin } from './plan/join.js';
import { Limit } from './plan/limit.js';
import { LocalRelation } from './plan/local-relation.js';
import type { LogicalPlan } from './plan/logical-plan.js';
import { Project } from './plan/project.js';
import { Sort } from './plan/sort.js';
import { SubqueryAlias } from './plan/subquery-alias.js';
import { Union } from './plan/union.js';
import { type AstNode, parseSql, selectItem, toExpr } from './sql-expression.js';

/** Where the planner finds tables: the context's temp views. */
export interface Catalog {
  lookup(name: string): LogicalPlan;
}

/** Plans one SQL SELECT (or UNION ALL of them) over the catalog's views. Anything but a query is refused. */
export function planSql(text: string, catalog: Catalog): LogicalPlan {
  const ast = parseSql(text);
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) throw new SqlError('SQL_UNSUPPORTED', `expected one statement, got ${statements.length}`);
  const statement = statements[0];
  if (statement.type !== 'select')
    throw new SqlError('SQL_UNSUPPORTED', `only SELECT queries are allowed, got ${String(statement.type).toUpperCase()}`);
  return planQuery(statement, catalog);
}

function planQuery(ast: AstNode, catalog: Catalog): LogicalPlan {
  const first = planSelect(ast, catalog);
  if (!ast._next) return first;
  const parts = [first];
  for (let next = ast._next; next; next = next._next) parts.push(planSelect(next, catalog));
  const union = new Union(parts);
  return ast.set_op && /distinct|^union$/i.test(String(ast.set_op)) ? new Deduplicate(undefined, union) : union;
}

function planSelect(ast: AstNode, catalog: Catalog): LogicalPlan {
  let plan = ast.from ? planFrom(ast.from, catalog) : oneRow();
  if (ast.where) plan = new Filter(toExpr(ast.where), plan);
  const items: Expr[] = ast.columns === '*' ? [new Star()] : ast.columns.map(selectItem);
  const grouping: Expr[] = (ast.groupby?.columns ?? ast.groupby ?? []).map((g: AstNode) => groupingItem(g, items));
  const having = ast.having ? toExpr(ast.having) : undefined;
  const order: SortOrder[] = (ast.orderby ?? []).map((o: AstNode) => orderItem(o, items));
  const isAggregate = grouping.length > 0 || items.some(hasAggregate) || (having !== undefined && hasAggregate(having));
  plan = isAggregate ? planAggregate(plan, items, grouping, having, order) : planProjection(plan, items, order);
  if (ast.distinct) plan = new Deduplicate(undefined, plan);
  const limit = ast.limit?.value?.[ast.limit.value.length - 1]?.value;
  if (limit !== undefined) plan = new Limit(Number(limit), plan);
  return plan;
}

/** SELECT without FROM reads one row with no columns. */
function oneRow(): LogicalPlan {
  return new LocalRelation([], [[]], 1);
}

const hasAggregate = (e: Expr) => collectExprs(e, (x) => x.isAggregate).length > 0;

/** GROUP BY 1 is the first select item; GROUP BY a name that is only a select alias is that item's expression. */
function groupingItem(node: AstNode, items: readonly Expr[]): Expr {
  if (node.type === 'number') {
    const item = items[Number(node.value) - 1];
    if (!item) throw new SqlError('SQL_ANALYSIS_ERROR', `GROUP BY position ${node.value} is not in the select list (1 to ${items.length})`);
    return item instanceof Alias ? item.child : item;
  }
  const e = toExpr(node);
  if (e instanceof ColumnRef && !e.qualifier) {
    const aliased = items.find((i) => i instanceof Alias && i.name.toLowerCase() === e.name.toLowerCase()) as Alias | undefined;
    if (aliased && !hasAggregate(aliased.child)) return aliased.child;
  }
  return e;
}

function orderItem(node: AstNode, items: readonly Expr[]): SortOrder {
  const ascending = String(node.type ?? 'ASC').toUpperCase() !== 'DESC';
  let e = toExpr(node.expr);
  if (node.expr.type === 'number') {
    const item = items[Number(node.expr.value) - 1];
    if (!item)
      throw new SqlError('SQL_ANALYSIS_ERROR', `ORDER BY position ${node.expr.value} is not in the select list (1 to ${items.length})`);
    e = new ColumnRef(item.toString());
  }
  return new SortOrder(e, ascending);
}

function planFrom(from: readonly AstNode[], catalog: Catalog): LogicalPlan {
  let plan = fromItem(from[0], catalog);
  for (const item of from.slice(1)) {
    const right = fromItem(item, catalog);
    const type = joinType(item.join);
    if (item.using)
      plan = usingJoin(
        plan,
        right,
        item.using.map((u: AstNode) => String(u.value ?? u)),
        type,
      );
    else plan = new Join(plan, right, item.on ? type : 'cross', item.on ? toExpr(item.on) : undefined);
  }
  return plan;
}

function fromItem(item: AstNode, catalog: Catalog): LogicalPlan {
  if (item.expr?.ast) return new SubqueryAlias(item.as ?? '__subquery', planQuery(item.expr.ast, catalog));
  const name = String(item.table);
  return new SubqueryAlias(item.as ?? name, catalog.lookup(name));
}

function joinType(join: string | undefined): JoinType {
  const text = String(join ?? 'INNER JOIN').toUpperCase();
  if (text.startsWith('LEFT')) return 'left';
  if (text.startsWith('RIGHT')) return 'right';
  if (text.startsWith('FULL')) return 'full';
  if (text.startsWith('CROSS')) return 'cross';
  return 'inner';
}

/**
 * SELECT over plain rows: the projection, with ORDER BY above it when it reads the selected
 * columns (aliases included), below it otherwise (ordering by a column not selected).
 */
function planProjection(child: LogicalPlan, items: readonly Expr[], order: readonly SortOrder[]): LogicalPlan {
  const expanded = items.flatMap((e) => (e instanceof Star ? e.expand(child.output).map((a) => new AttributeRef(a)) : [e]));
  const project = new Project(expanded, child);
  if (order.length === 0) return project;
  if (resolves(order, project.output)) return new Sort(order, project);
  return new Project(expanded, new Sort(order, child), project.output);
}

function resolves(exprs: readonly Expr[], input: readonly Attribute[]): boolean {
  try {
    for (const e of exprs) e.bind(input);
    return true;
  } catch {
    return false;
  }
}

/**
 * SELECT with GROUP BY or aggregates: one Aggregate computes the select list and, as hidden
 * columns, the aggregates HAVING and ORDER BY need; a Filter and a Sort read those; the last
 * Project drops them.
 */
function planAggregate(
  child: LogicalPlan,
  items: readonly Expr[],
  grouping: readonly Expr[],
  having: Expr | undefined,
  order: readonly SortOrder[],
): LogicalPlan {
  if (items.some((i) => i instanceof Star)) throw new SqlError('SQL_ANALYSIS_ERROR', 'SELECT * cannot be used with GROUP BY or aggregates');
  const outputs: Expr[] = [...items];
  const names = items.map((i) => i.toString());
  const hidden = (e: Expr): Expr => {
    const text = e.toString();
    const selected = items.findIndex((i) => (i instanceof Alias ? i.child : i).toString() === text);
    if (selected >= 0) return new ColumnRef(names[selected]!);
    const existing = outputs.findIndex((o) => o instanceof Alias && o.name.startsWith('__hidden') && o.child.toString() === text);
    if (existing >= 0) return new ColumnRef((outputs[existing] as Alias).name);
    const name = `__hidden${outputs.length}`;
    outputs.push(new Alias(e, name));
    return new ColumnRef(name);
  };
  const groupTexts = grouping.map((g) => g.toString());
  const rewrite = (e: Expr) =>
    transformExpr(e, (x) => {
      if (x.isAggregate || groupTexts.includes(x.toString())) {
        // An ORDER BY or HAVING name that is a select alias reads that column.
        return hidden(x);
      }
      return undefined;
    });
  const havingExpr = having ? rewrite(having) : undefined;
  const orderExprs = order.map((o) => {
    const aliasName =
      o.child instanceof ColumnRef &&
      !o.child.qualifier &&
      names.some((n) => n.toLowerCase() === (o.child as ColumnRef).name.toLowerCase());
    return aliasName ? o : (rewrite(o) as SortOrder);
  });
  let plan: LogicalPlan = new Aggregate(grouping, outputs, child);
  if (havingExpr) plan = new Filter(havingExpr, plan);
  if (orderExprs.length) plan = new Sort(orderExprs, plan);
  if (outputs.length === items.length) return plan;
  return new Project(
    plan.output.slice(0, items.length).map((a) => new AttributeRef(a)),
    plan,
  );
}

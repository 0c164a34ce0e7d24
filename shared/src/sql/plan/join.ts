import type { RDD, RddContext } from '../../rdd/internal.js';
import { badArgument } from '../errors.js';
import {
  Alias,
  type Attribute,
  AttributeRef,
  type Evaluator,
  type Expr,
  groupingKey,
  type Row,
  resolveName,
} from '../expressions/expression.js';
import { ScalarFunction } from '../expressions/functions.js';
import { BinaryOp, Logic } from '../expressions/operators.js';
import { LogicalPlan, referencedAttributes } from './logical-plan.js';
import { Project } from './project.js';

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti' | 'cross';

const joinTypeNames: Record<string, JoinType> = {
  inner: 'inner',
  cross: 'cross',
  left: 'left',
  leftouter: 'left',
  left_outer: 'left',
  right: 'right',
  rightouter: 'right',
  right_outer: 'right',
  full: 'full',
  outer: 'full',
  fullouter: 'full',
  full_outer: 'full',
  semi: 'semi',
  leftsemi: 'semi',
  left_semi: 'semi',
  anti: 'anti',
  leftanti: 'anti',
  left_anti: 'anti',
};

/** Spark's join type names, any of its spellings (`left_outer`, `leftsemi`...). */
export function parseJoinType(how: string): JoinType {
  const type = joinTypeNames[how.toLowerCase()];
  if (!type) badArgument('join', 'how', how, `one of ${Object.keys(joinTypeNames).join(', ')}`);
  return type;
}

export function splitConjuncts(e: Expr): Expr[] {
  return e instanceof Logic && e.op === 'AND' ? [...splitConjuncts(e.left), ...splitConjuncts(e.right)] : [e];
}

/**
 * A join (Spark's Join, run as a shuffled hash join): the equality conjuncts of the condition
 * that compare a left column with a right one become the shuffle key; the rest is tested on
 * each candidate pair. A join with no such key puts every row in one group (a nested loop).
 * Null keys never match, as in SQL.
 */
export class Join extends LogicalPlan {
  constructor(
    readonly left: LogicalPlan,
    readonly right: LogicalPlan,
    readonly joinType: JoinType,
    readonly condition: Expr | undefined,
  ) {
    super();
  }
  get output(): readonly Attribute[] {
    const nullable = (attrs: readonly Attribute[]) => attrs.map((a) => ({ ...a, nullable: true }));
    switch (this.joinType) {
      case 'semi':
      case 'anti':
        return this.left.output;
      case 'left':
        return [...this.left.output, ...nullable(this.right.output)];
      case 'right':
        return [...nullable(this.left.output), ...this.right.output];
      case 'full':
        return [...nullable(this.left.output), ...nullable(this.right.output)];
      default:
        return [...this.left.output, ...this.right.output];
    }
  }
  children(): readonly LogicalPlan[] {
    return [this.left, this.right];
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Join(c[0]!, c[1]!, this.joinType, this.condition);
  }
  describe(): string {
    return `Join ${this.joinType === 'semi' ? 'LeftSemi' : this.joinType === 'anti' ? 'LeftAnti' : this.joinType}${this.condition ? `, ${this.condition}` : ''}`;
  }

  /** Splits the condition into (left key, right key) pairs and the residual test over the joined row. */
  private keys(): { leftKeys: Evaluator[]; rightKeys: Evaluator[]; residual: Evaluator | undefined } {
    const leftKeys: Evaluator[] = [];
    const rightKeys: Evaluator[] = [];
    const rest: Expr[] = [];
    const lo = this.left.output;
    const ro = this.right.output;
    const only = (e: Expr, side: readonly Attribute[]) => {
      try {
        const refs = referencedAttributes(e, side);
        return refs.length > 0 && refs.every((a) => side.some((s) => s.exprId === a.exprId));
      } catch {
        return false;
      }
    };
    for (const c of this.condition ? splitConjuncts(this.condition) : []) {
      if (c instanceof BinaryOp && c.op === '=') {
        if (only(c.left, lo) && only(c.right, ro)) {
          leftKeys.push(c.left.bind(lo).evaluate);
          rightKeys.push(c.right.bind(ro).evaluate);
          continue;
        }
        if (only(c.left, ro) && only(c.right, lo)) {
          leftKeys.push(c.right.bind(lo).evaluate);
          rightKeys.push(c.left.bind(ro).evaluate);
          continue;
        }
      }
      rest.push(c);
    }
    const joined = [...lo, ...ro];
    const residual = rest.length ? rest.reduce((a, b) => new Logic('AND', a, b)).bind(joined).evaluate : undefined;
    return { leftKeys, rightKeys, residual };
  }

  execute(ctx: RddContext): RDD<Row> {
    const { leftKeys, rightKeys, residual } = this.keys();
    const keyOf = (evals: Evaluator[]) => (row: Row) => {
      if (evals.length === 0) return 0;
      const values = evals.map((e) => e(row) ?? null);
      if (values.some((v) => v === null)) return undefined;
      return values.length === 1 ? groupingKey(values[0]) : JSON.stringify(values);
    };
    const lk = keyOf(leftKeys);
    const rk = keyOf(rightKeys);
    const leftWidth = this.left.output.length;
    const rightWidth = this.right.output.length;
    const type = this.joinType;
    // Rows whose key is null can match nothing; they are kept apart (tagged) so outer joins still emit them.
    let nullKeys = 0;
    const tag = (key: (row: Row) => unknown) => (row: Row) => {
      const k = key(row);
      return [k === undefined ? `\u0000null:${nullKeys++}` : k, row] as [unknown, Row];
    };
    const leftPairs = this.left.execute(ctx).map(tag(lk)) as RDD<[string | number, Row]>;
    const rightPairs = this.right.execute(ctx).map(tag(rk)) as RDD<[string | number, Row]>;
    const nullsLeft = new Array<unknown>(leftWidth).fill(null);
    const nullsRight = new Array<unknown>(rightWidth).fill(null);
    return leftPairs.cogroup(rightPairs, ctx.defaultParallelism).flatMap(([, [ls, rs]]) => {
      const out: Row[] = [];
      const rightMatched = new Array<boolean>(rs.length).fill(false);
      for (const l of ls) {
        let matched = false;
        for (let j = 0; j < rs.length; j++) {
          const joined = l.concat(rs[j]!);
          if (residual && residual(joined) !== true) continue;
          matched = true;
          rightMatched[j] = true;
          if (type === 'semi' || type === 'anti') break;
          out.push(joined);
        }
        if (type === 'semi' && matched) out.push(l);
        if (type === 'anti' && !matched) out.push(l);
        if ((type === 'left' || type === 'full') && !matched) out.push(l.concat(nullsRight));
      }
      if (type === 'right' || type === 'full') {
        rs.forEach((r, j) => {
          if (!rightMatched[j]) out.push(nullsLeft.concat(r));
        });
      }
      return out;
    });
  }
}

/**
 * A join on equal column names (`USING (id)`, `df.join(other, 'id')`): each key appears once,
 * the left's (the right's for a right join, whichever is set for a full one), then the other
 * columns of both sides.
 */
export function usingJoin(left: LogicalPlan, right: LogicalPlan, names: readonly string[], type: JoinType): LogicalPlan {
  const la = names.map((n) => left.output[resolveName(n, undefined, left.output)]!);
  const ra = names.map((n) => right.output[resolveName(n, undefined, right.output)]!);
  const condition = la
    .map((l, i) => new BinaryOp('=', new AttributeRef(l), new AttributeRef(ra[i]!)) as Expr)
    .reduce((a, b) => new Logic('AND', a, b));
  const join = new Join(left, right, type, condition);
  if (type === 'semi' || type === 'anti') return join;
  const keys = la.map((l, i) => {
    const r = ra[i]!;
    if (type === 'right') return new AttributeRef(r);
    if (type === 'full') return new Alias(new ScalarFunction('coalesce', [new AttributeRef(l), new AttributeRef(r)]), l.name);
    return new AttributeRef(l);
  });
  const used = new Set([...la, ...ra].map((a) => a.exprId));
  const rest = [...left.output, ...right.output].filter((a) => !used.has(a.exprId)).map((a) => new AttributeRef(a));
  return new Project([...keys, ...rest], join);
}

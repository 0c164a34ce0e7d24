import type { RDD, RddContext } from '../../rdd/internal.js';
import type { AggregateCall, AggregateImpl } from '../expressions/aggregates.js';
import {
  Alias,
  type Attribute,
  AttributeRef,
  attribute,
  collectExprs,
  type Evaluator,
  type Expr,
  type Row,
  transformExpr,
} from '../expressions/expression.js';
import { compileCombine } from './compiled-combine.js';
import { LogicalPlan } from './logical-plan.js';
import { projectedAttribute } from './project.js';

type Group = [keys: unknown[], buffers: unknown[]];

/**
 * GROUP BY with aggregates (Spark's Aggregate, run as HashAggregate): each partition folds
 * its rows into one buffer per group (the map-side combine), the partial buffers are
 * shuffled by group, merged, and the result expressions computed from the final values.
 * Without grouping expressions the whole input is one group, so an empty input still gives
 * one row (count 0, sum null), as in SQL.
 */
export class Aggregate extends LogicalPlan {
  readonly output: readonly Attribute[];
  constructor(
    readonly grouping: readonly Expr[],
    readonly aggregates: readonly Expr[],
    readonly child: LogicalPlan,
    output?: readonly Attribute[],
  ) {
    super();
    this.output = output ?? this.plan().resultAttributes;
  }
  children(): readonly LogicalPlan[] {
    return [this.child];
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Aggregate(this.grouping, this.aggregates, c[0]!, this.output);
  }
  describe(): string {
    return `Aggregate [${this.grouping.join(', ')}], [${this.aggregates.map((e, i) => `${e instanceof Alias ? e.child : e} AS ${this.output[i]!.name}#${this.output[i]!.exprId}`).join(', ')}]`;
  }

  /** The calls to compute and the result expressions rewritten to read the group's keys and final values. */
  private plan() {
    const input = this.child.output;
    const calls: AggregateCall[] = [];
    for (const e of this.aggregates) {
      for (const call of collectExprs(e, (x) => x.isAggregate) as AggregateCall[]) {
        if (!calls.some((c) => c.toString() === call.toString())) calls.push(call);
      }
    }
    const keyAttrs = this.grouping.map((g) => projectedAttribute(g, input));
    const implemented = calls.map((c) => c.implement(input));
    const impls = implemented.map((x) => x.impl);
    // Aggregates of the same argument (sum(v), min(v), max(v)) share one evaluation per row.
    const argTexts = calls.map((c) => c.arg.toString());
    const argIndex = argTexts.map((t) => argTexts.indexOf(t));
    const argEvals = implemented.map((x) => x.argument).filter((_, i) => argIndex[i] === i);
    const argSlot = argIndex.map((first) => argIndex.filter((f, i) => f === i).indexOf(first));
    const slotAttrs = calls.map((c, i) => attribute(c.toString(), impls[i]!.dataType));
    const groupNames = this.grouping.map((g) => g.toString());
    // A result expression reads slots: a grouping expression becomes its key, an aggregate call its value.
    const results = this.aggregates.map((e) =>
      transformExpr(e, (x) => {
        if (x.isAggregate) return new AttributeRef(slotAttrs[calls.findIndex((c) => c.toString() === x.toString())]!);
        const k = groupNames.indexOf(x.toString());
        return k >= 0 && !(x instanceof Alias) ? new AttributeRef(keyAttrs[k]!) : undefined;
      }),
    );
    const slots = [...keyAttrs, ...slotAttrs];
    const resultAttributes = this.aggregates.map((e, i) => {
      const bare = results[i]!;
      if (bare instanceof AttributeRef && !(e instanceof Alias)) {
        const k = keyAttrs.indexOf(bare.attr);
        if (k >= 0) return keyAttrs[k]!;
      }
      return projectedAttribute(e instanceof Alias ? new Alias(bare, e.name) : new Alias(bare, e.toString()), slots);
    });
    return { calls, impls, argEvals, argSlot, results, slots, resultAttributes };
  }

  execute(ctx: RddContext): RDD<Row> {
    const { calls, impls, argEvals, argSlot, results, slots } = this.plan();
    const input = this.child.output;
    const keyEvals = this.grouping.map((g) => g.bind(input).evaluate);
    const resultEvals = results.map((r) => r.bind(slots).evaluate);
    const compiled = compileCombine(this.grouping, calls, impls, input);
    const combine = compiled ?? ((rows: readonly Row[]) => combineRows(rows, keyEvals, impls, argEvals, argSlot));
    const partial = this.child.execute(ctx).mapPartitions(combine);
    const global = keyEvals.length === 0;
    const seeded = global ? partial.union(ctx.parallelize([[null, [[], impls.map((a) => a.init())]] as [unknown, Group]], 1)) : partial;
    const merged = seeded.reduceByKey(
      (a: Group, b: Group): Group => [a[0], a[1].map((buffer, i) => impls[i]!.merge(buffer, b[1][i]))],
      global ? 1 : ctx.defaultParallelism,
    );
    return merged.map(([, [keys, buffers]]) => {
      const slotRow = keys.concat(buffers.map((b, i) => impls[i]!.result(b)));
      return resultEvals.map((e) => e(slotRow));
    });
  }
}

/** The map-side combine: one pass over a partition's rows, one buffer per group, no per-row allocation for known groups. */
function combineRows(
  rows: readonly Row[],
  keyEvals: readonly Evaluator[],
  impls: readonly AggregateImpl[],
  argEvals: readonly Evaluator[],
  argSlot: readonly number[],
): [unknown, Group][] {
  const args = new Array<unknown>(argEvals.length);
  const a = argEvals.length;
  const fold = folder(impls, argSlot);
  const groups = new Map<unknown, Group>();
  const single = keyEvals.length === 1 ? keyEvals[0]! : undefined;
  const _n = impls.length;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let key: unknown;
    let group: Group | undefined;
    if (single) {
      const v = single(row) ?? null;
      key = v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
      group = groups.get(key);
      if (!group) {
        group = [[v], impls.map((a) => a.init())];
        groups.set(key, group);
      }
    } else {
      const keys = keyEvals.map((e) => e(row) ?? null);
      key = keys.length === 0 ? null : JSON.stringify(keys);
      group = groups.get(key);
      if (!group) {
        group = [keys, impls.map((a) => a.init())];
        groups.set(key, group);
      }
    }
    for (let j = 0; j < a; j++) args[j] = argEvals[j]!(row);
    fold(group[1], args);
  }
  return [...groups];
}

/**
 * Folds one row's argument values into a group's buffers. Up to four aggregates get a call
 * site each (the usual agg(count, sum, min, max)), so each stays monomorphic and V8 can inline
 * it; one loop over many different update functions would not.
 */
function folder(impls: readonly AggregateImpl[], argSlot: readonly number[]): (buffers: unknown[], args: unknown[]) => void {
  const u = impls.map((i) => i.update);
  const s = argSlot;
  const [u0, u1, u2, u3] = u;
  const [s0, s1, s2, s3] = s;
  switch (impls.length) {
    case 1:
      return (b, a) => {
        b[0] = u0!(b[0], a[s0!]);
      };
    case 2:
      return (b, a) => {
        b[0] = u0!(b[0], a[s0!]);
        b[1] = u1!(b[1], a[s1!]);
      };
    case 3:
      return (b, a) => {
        b[0] = u0!(b[0], a[s0!]);
        b[1] = u1!(b[1], a[s1!]);
        b[2] = u2!(b[2], a[s2!]);
      };
    case 4:
      return (b, a) => {
        b[0] = u0!(b[0], a[s0!]);
        b[1] = u1!(b[1], a[s1!]);
        b[2] = u2!(b[2], a[s2!]);
        b[3] = u3!(b[3], a[s3!]);
      };
    default:
      return (b, a) => {
        for (let i = 0; i < u.length; i++) b[i] = u[i]!(b[i], a[s[i]!]);
      };
  }
}

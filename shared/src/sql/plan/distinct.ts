import type { RDD, RddContext } from '../../rdd/internal.js';
import type { Row } from '../expressions/expression.js';
import { type LogicalPlan, PassThroughPlan } from './logical-plan.js';

/** Rows unique on the key columns (all of them for distinct(), some for dropDuplicates); the first seen is kept. */
export class Deduplicate extends PassThroughPlan {
  constructor(
    readonly keyNames: readonly string[] | undefined,
    readonly child: LogicalPlan,
  ) {
    super();
  }
  withChildren(c: readonly LogicalPlan[]): LogicalPlan {
    return new Deduplicate(this.keyNames, c[0]!);
  }
  describe(): string {
    return this.keyNames ? `Deduplicate [${this.keyNames.join(', ')}]` : 'Distinct';
  }
  execute(ctx: RddContext): RDD<Row> {
    const names = this.keyNames?.map((n) => n.toLowerCase());
    const indexes = names ? this.output.flatMap((a, i) => (names.includes(a.name.toLowerCase()) ? [i] : [])) : undefined;
    const keyOf = (row: Row) => JSON.stringify(indexes ? indexes.map((i) => row[i] ?? null) : row.map((v) => v ?? null));
    return this.child
      .execute(ctx)
      .map((row): [string, Row] => [keyOf(row), row])
      .reduceByKey((a) => a)
      .values();
  }
}

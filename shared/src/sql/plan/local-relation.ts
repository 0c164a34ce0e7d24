import type { RDD, RddContext } from '../../rdd/internal.js';
import type { Attribute, Row } from '../expressions/expression.js';
import { ScanRDD } from '../io/scan-rdd.js';
import { attributeList, LeafPlan } from './logical-plan.js';

/** Rows held in this process (createDataFrame of a list), sliced into partitions when run. */
export class LocalRelation extends LeafPlan {
  constructor(
    readonly output: readonly Attribute[],
    readonly rows: readonly Row[],
    readonly numSlices?: number,
  ) {
    super();
  }
  describe(): string {
    return `LocalRelation ${attributeList(this.output)}, ${this.rows.length} rows`;
  }
  execute(ctx: RddContext): RDD<Row> {
    const count = Math.max(1, Math.min(this.numSlices ?? ctx.defaultParallelism, this.rows.length || 1));
    // Sliced once and kept: the rows are immutable, and re-slicing millions of them per query is copying for nothing.
    if (this.slices?.length !== count) {
      this.slices = Array.from({ length: count }, (_, i) =>
        this.rows.slice(Math.floor((i * this.rows.length) / count), Math.floor(((i + 1) * this.rows.length) / count)),
      );
    }
    const slices = this.slices;
    return new ScanRDD(ctx, 'LocalRelation', slices, async (slice) => slice);
  }
  private slices: (readonly Row[])[] | undefined;
}

/** An RDD of rows in the engine's form (createDataFrame of an RDD, or a DataFrame's rdd). */
export class RddRelation extends LeafPlan {
  constructor(
    readonly output: readonly Attribute[],
    readonly rdd: RDD<Row>,
  ) {
    super();
  }
  describe(): string {
    return `LogicalRDD ${attributeList(this.output)}`;
  }
  execute(): RDD<Row> {
    return this.rdd;
  }
}

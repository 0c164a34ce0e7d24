import { type Partition, RDD, type RddContext } from '../../rdd/internal.js';
import type { Row } from '../expressions/expression.js';

/** An RDD with one partition per split of a source (a Parquet row group, a page of a table), read when its task runs. */
export class ScanRDD<S> extends RDD<Row> {
  constructor(
    context: RddContext,
    name: string,
    private readonly splits: readonly S[],
    private readonly read: (split: S) => Promise<readonly Row[]>,
  ) {
    super(context, name);
  }
  protected getPartitions(): Partition[] {
    return this.splits.map((_, index) => ({ index }));
  }
  compute(split: Partition): Promise<readonly Row[]> {
    return this.read(this.splits[split.index]!);
  }
}

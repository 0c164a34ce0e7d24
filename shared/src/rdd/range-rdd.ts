import { indexPartitions, type Partition, RDD, type RddContext } from './internal.js';

/** The integers of range(start, end, step), generated per partition and sliced as parallelize slices. */
export class RangeRDD extends RDD<number> {
  private readonly length: number;

  constructor(
    context: RddContext,
    private readonly start: number,
    private readonly step: number,
    end: number,
    private readonly numSlices: number,
  ) {
    super(context, 'range');
    this.length = Math.max(0, Math.ceil((end - start) / step));
  }

  protected getPartitions(): Partition[] {
    return indexPartitions(this.numSlices);
  }

  async compute(split: Partition): Promise<readonly number[]> {
    const from = Math.floor((split.index * this.length) / this.numSlices);
    const to = Math.floor(((split.index + 1) * this.length) / this.numSlices);
    const out = new Array<number>(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.start + i * this.step;
    return out;
  }
}

import { DStream, type RDD } from './internal.js';

/** One parent, an RDD-to-RDD function per batch: map, filter, flatMap, reduceByKey, transform. */
export class TransformedDStream<T, U> extends DStream<U> {
  constructor(
    private readonly parent: DStream<T>,
    private readonly f: (rdd: RDD<T>, timeMs: number) => RDD<U>,
  ) {
    super(parent.ssc, [parent as DStream<unknown>]);
  }

  protected async compute(timeMs: number): Promise<RDD<U> | undefined> {
    const rdd = await this.parent.getOrCompute(timeMs);
    return rdd && this.f(rdd, timeMs);
  }
}

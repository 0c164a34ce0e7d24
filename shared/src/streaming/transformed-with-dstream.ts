import { DStream, type RDD } from './internal.js';

/**
 * Two parents, one function of their RDDs per batch (Spark's transformWith): join, cogroup and
 * the outer joins are built on it. A parent with no RDD at a batch time counts as empty.
 */
export class TransformedWithDStream<A, B, U> extends DStream<U> {
  constructor(
    private readonly left: DStream<A>,
    private readonly right: DStream<B>,
    private readonly f: (left: RDD<A>, right: RDD<B>, timeMs: number) => RDD<U>,
  ) {
    super(left.ssc, [left as DStream<unknown>, right as DStream<unknown>]);
    if (left.ssc !== right.ssc) throw new Error('transformWith: both streams must belong to one StreamingContext');
    if (left.slideMs !== right.slideMs)
      throw new RangeError(`transformWith: the streams slide every ${left.slideMs} and ${right.slideMs} ms, expected the same interval`);
  }

  protected async compute(timeMs: number): Promise<RDD<U> | undefined> {
    const [left, right] = await Promise.all([this.left.getOrCompute(timeMs), this.right.getOrCompute(timeMs)]);
    if (!left && !right) return undefined;
    const context = this.ssc.rddContext;
    return this.f(left ?? context.emptyRDD<A>(), right ?? context.emptyRDD<B>(), timeMs);
  }
}

import { DStream, type RDD } from './internal.js';

/** Every element of every parent's batch (Spark's DStream.union and StreamingContext.union). */
export class UnionDStream<T> extends DStream<T> {
  constructor(private readonly streams: readonly DStream<T>[]) {
    if (streams.length === 0) throw new RangeError('union: expected at least one stream');
    super(streams[0].ssc, streams as readonly DStream<unknown>[]);
    for (const stream of streams) {
      if (stream.ssc !== this.ssc) throw new Error('union: every stream must belong to one StreamingContext');
      if (stream.slideMs !== streams[0].slideMs)
        throw new RangeError(`union: the streams slide every ${streams.map((s) => s.slideMs).join(', ')} ms, expected the same interval`);
    }
  }

  protected async compute(timeMs: number): Promise<RDD<T> | undefined> {
    const rdds = (await Promise.all(this.streams.map((stream) => stream.getOrCompute(timeMs)))).filter((rdd) => rdd !== undefined);
    return rdds.length === 0 ? undefined : this.ssc.rddContext.union(rdds as RDD<T>[]);
  }
}

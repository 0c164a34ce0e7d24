import { batchesIn, checkWindow, DStream, type RDD } from './internal.js';

/** The union of the parent's batches in the last windowMs, every slideMs. */
export class WindowedDStream<T> extends DStream<T> {
  constructor(
    private readonly parent: DStream<T>,
    private readonly windowMs: number,
    private readonly slide: number,
  ) {
    super(parent.ssc, [parent as DStream<unknown>]);
    checkWindow(windowMs, slide, parent.slideMs);
    this.rememberParents(windowMs);
  }

  override get slideMs(): number {
    return this.slide;
  }

  protected async compute(timeMs: number): Promise<RDD<T> | undefined> {
    const rdds = await batchesIn(this.parent, timeMs - this.windowMs, timeMs);
    return rdds.length === 0 ? this.ssc.rddContext.emptyRDD<T>() : this.ssc.rddContext.union(rdds);
  }
}

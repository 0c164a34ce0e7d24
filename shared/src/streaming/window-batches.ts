import type { DStream, RDD } from './internal.js';

/** The parent's RDDs of the batches in (fromExclusiveMs, toMs]. */
export async function batchesIn<T>(parent: DStream<T>, fromExclusiveMs: number, toMs: number): Promise<RDD<T>[]> {
  const rdds: RDD<T>[] = [];
  for (let t = toMs; t > fromExclusiveMs; t -= parent.slideMs) {
    const rdd = await parent.getOrCompute(t);
    if (rdd) rdds.unshift(rdd);
  }
  return rdds;
}

/** A window and slide must be positive multiples of the parent's interval, as in Spark. */
export function checkWindow(windowMs: number, slideMs: number, parentSlideMs: number): void {
  if (!Number.isInteger(windowMs / parentSlideMs) || windowMs <= 0) {
    throw new RangeError(`window: windowMs was ${windowMs}, expected a positive multiple of the batch interval (${parentSlideMs})`);
  }
  if (!Number.isInteger(slideMs / parentSlideMs) || slideMs <= 0) {
    throw new RangeError(`window: slideMs was ${slideMs}, expected a positive multiple of the batch interval (${parentSlideMs})`);
  }
}

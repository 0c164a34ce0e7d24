/**
 * Events per second over a sliding window of whole seconds: a ring of `windowSeconds`
 * buckets, so its memory is fixed whatever the rate. A bucket is reused when its second
 * comes round again; seconds with nothing added count as zero.
 */
export class RateMeter {
  private readonly counts: Float64Array;
  private readonly seconds: Float64Array;
  private readonly startSecond: number;

  constructor(
    readonly windowSeconds = 60,
    nowMs = Date.now(),
  ) {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1)
      throw new RangeError(`windowSeconds was ${windowSeconds}, expected an integer >= 1`);
    this.counts = new Float64Array(windowSeconds);
    this.seconds = new Float64Array(windowSeconds).fill(-1);
    this.startSecond = Math.floor(nowMs / 1000);
  }

  add(amount: number, nowMs = Date.now()): void {
    const second = Math.floor(nowMs / 1000);
    const i = second % this.windowSeconds;
    if (this.seconds[i] !== second) {
      this.seconds[i] = second;
      this.counts[i] = 0;
    }
    this.counts[i] += amount;
  }

  /** The mean per second over the last windowSeconds (over the time since start, when shorter). */
  perSecond(nowMs = Date.now()): number {
    const second = Math.floor(nowMs / 1000);
    let total = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      const age = second - this.seconds[i];
      if (age >= 0 && age < this.windowSeconds) total += this.counts[i];
    }
    return total / Math.min(this.windowSeconds, Math.max(1, second - this.startSecond + 1));
  }
}

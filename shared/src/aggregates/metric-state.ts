import { DDSketch } from './ddsketch.js';
import { ExactSum } from './exact-sum.js';

/** Quantiles are within this relative error of the true value at that rank (DDSketch's guarantee). */
export const quantileRelativeAccuracy = 0.01;

/**
 * Buckets per sign a sketch keeps. Past it the lowest buckets are collapsed into one, so the
 * relative error holds for the upper quantiles (p50 and above, the ones alerts use) and
 * memory stays bounded at a few KiB per state. 2048 buckets at 1% cover values spanning
 * 17 orders of magnitude before any collapse.
 */
export const sketchBucketsMax = 2048;

function newSketch(): DDSketch {
  return new DDSketch(quantileRelativeAccuracy, sketchBucketsMax);
}

/** A sketch's occupied buckets, as the codec carries them. */
export interface SketchBuckets {
  zeroCount: number;
  positiveMinKey: number;
  positiveCounts: readonly number[];
  negativeMinKey: number;
  negativeCounts: readonly number[];
}

function sketchFromBuckets(buckets: SketchBuckets): DDSketch {
  const sketch = newSketch();
  buckets.positiveCounts.forEach((n, i) => {
    if (n > 0) sketch.positive.add(buckets.positiveMinKey + i, n);
  });
  buckets.negativeCounts.forEach((n, i) => {
    if (n > 0) sketch.negative.add(buckets.negativeMinKey + i, n);
  });
  sketch.zeroCount = buckets.zeroCount;
  return sketch;
}

/** A readable summary of a MetricState, as the API and the example print it. */
export interface MetricSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  variance: number;
  stddev: number;
  first: number;
  firstTs: number;
  last: number;
  lastTs: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The mergeable aggregate of one metric's readings: count, sum, min, max, mean and variance,
 * first and last by event time, and quantiles through a DDSketch. `add` and `merge` mutate
 * and return the state (a mutable combiner, cheap in aggregateByKey); merge is associative and
 * commutative: count, sum, mean, min, max, first and last come out identical in any order and
 * grouping, variance equal to rounding (Chan's formula), and quantiles identical while the
 * readings of one state span fewer than ~17 orders of magnitude (sketchBucketsMax); past
 * that the lowest buckets collapse and low quantiles may depend on merge order.
 *
 * @example
 * const s = MetricState.empty().add(21.5, 1732400000000).add(22.1, 1732400060000);
 * s.mean; // 21.8
 * s.merge(otherGatewaysState).quantile(0.95);
 */
export class MetricState {
  count = 0;
  readonly sum: ExactSum;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Welford's running mean, used for the variance only; `mean` comes from the exact sum. */
  private runningMean = 0;
  private m2 = 0;
  firstTs = Number.POSITIVE_INFINITY;
  first = Number.NaN;
  lastTs = Number.NEGATIVE_INFINITY;
  last = Number.NaN;
  readonly sketch: DDSketch;

  private constructor(sum: ExactSum, sketch: DDSketch) {
    this.sum = sum;
    this.sketch = sketch;
  }

  static empty(): MetricState {
    return new MetricState(new ExactSum(), newSketch());
  }

  /** A state of the given [value, ts] readings. @example MetricState.of([[1, 0], [2, 1000]]) */
  static of(readings: Iterable<readonly [number, number]>): MetricState {
    const state = MetricState.empty();
    for (const [value, ts] of readings) state.add(value, ts);
    return state;
  }

  /** Adds one reading taken at event time ts (epoch ms). Rejects non-finite values. */
  add(value: number, ts: number): this {
    if (!Number.isFinite(value)) throw new RangeError(`MetricState.add: value was ${value}, expected a finite number`);
    if (!Number.isFinite(ts)) throw new RangeError(`MetricState.add: ts was ${ts}, expected a finite epoch-ms timestamp`);
    this.count++;
    this.sum.add(value);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const delta = value - this.runningMean;
    this.runningMean += delta / this.count;
    this.m2 += delta * (value - this.runningMean);
    this.takeFirstLast(ts, value, ts, value);
    this.sketch.add(value);
    return this;
  }

  /** Merges other into this (other is left unchanged). */
  merge(other: MetricState): this {
    if (other.count === 0) return this;
    if (this.count === 0) {
      this.runningMean = other.runningMean;
      this.m2 = other.m2;
    } else {
      const total = this.count + other.count;
      const delta = other.runningMean - this.runningMean;
      this.m2 += other.m2 + (delta * delta * this.count * other.count) / total;
      this.runningMean += (delta * other.count) / total;
    }
    this.count += other.count;
    this.sum.merge(other.sum);
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.takeFirstLast(other.firstTs, other.first, other.lastTs, other.last);
    this.sketch.merge(other.sketch);
    return this;
  }

  // Ties in time are broken by value (first keeps the smaller, last the larger), so the
  // result does not depend on which state was merged into which.
  private takeFirstLast(firstTs: number, first: number, lastTs: number, last: number): void {
    if (firstTs < this.firstTs || (firstTs === this.firstTs && first < this.first)) {
      this.firstTs = firstTs;
      this.first = first;
    }
    if (lastTs > this.lastTs || (lastTs === this.lastTs && last > this.last)) {
      this.lastTs = lastTs;
      this.last = last;
    }
  }

  /**
   * Why this state cannot be stored or merged further (a figure overflowed to Infinity or
   * NaN), or undefined when every figure is finite. Values within a gateway's
   * limits.valueAbsMax never get here; a state from elsewhere might.
   */
  finiteProblem(): string | undefined {
    if (this.count === 0) return undefined;
    // The usual answer without allocating: this runs for every record the cloud merges.
    const { runningMean, m2, min, max } = this;
    if (
      Number.isFinite(runningMean) &&
      Number.isFinite(m2) &&
      Number.isFinite(min) &&
      Number.isFinite(max) &&
      Number.isFinite(this.sum.value())
    )
      return undefined;
    const figures: [string, number][] = [
      ['sum', this.sum.value()],
      ['mean', this.runningMean],
      ['m2', this.m2],
      ['min', this.min],
      ['max', this.max],
    ];
    for (const [name, value] of figures) if (!Number.isFinite(value)) return `${name} was ${value}, expected a finite number`;
    return undefined;
  }

  /** A deep copy; aggregateByKey uses it to give every key its own zero. */
  clone(): MetricState {
    const copy = MetricState.empty();
    return copy.merge(this);
  }

  /** NaN when empty. */
  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum.value() / this.count;
  }

  /** Population variance; NaN when empty. */
  get variance(): number {
    return this.count === 0 ? Number.NaN : Math.max(0, this.m2) / this.count;
  }

  /** Sample variance (n - 1); NaN with fewer than two readings. */
  get sampleVariance(): number {
    return this.count < 2 ? Number.NaN : Math.max(0, this.m2) / (this.count - 1);
  }

  get stddev(): number {
    return Math.sqrt(this.variance);
  }

  /** The value at quantile q (0..1), within quantileRelativeAccuracy; NaN when empty. */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`MetricState.quantile: q was ${q}, expected a number from 0 to 1`);
    if (this.count === 0) return Number.NaN;
    if (q === 0) return this.min;
    if (q === 1) return this.max;
    // The sketch answers with a bucket's representative value; the exact min and max are tighter bounds.
    return Math.min(this.max, Math.max(this.min, this.sketch.quantile(q)));
  }

  /** The second moment about the mean, for the codec. */
  get m2Value(): number {
    return this.m2;
  }

  get runningMeanValue(): number {
    return this.runningMean;
  }

  /** Rebuilds a state from its parts; used by the codec. */
  static fromParts(parts: {
    count: number;
    sumPartials: readonly number[];
    min: number;
    max: number;
    runningMean: number;
    m2: number;
    firstTs: number;
    first: number;
    lastTs: number;
    last: number;
    sketchBuckets: SketchBuckets;
  }): MetricState {
    const sketch = sketchFromBuckets(parts.sketchBuckets);
    const state = new MetricState(new ExactSum(parts.sumPartials), sketch);
    Object.assign(state, {
      count: parts.count,
      min: parts.min,
      max: parts.max,
      runningMean: parts.runningMean,
      m2: parts.m2,
      firstTs: parts.firstTs,
      first: parts.first,
      lastTs: parts.lastTs,
      last: parts.last,
    });
    return state;
  }

  summary(): MetricSummary {
    return {
      count: this.count,
      sum: this.sum.value(),
      min: this.min,
      max: this.max,
      mean: this.mean,
      variance: this.variance,
      stddev: this.stddev,
      first: this.first,
      firstTs: this.firstTs,
      last: this.last,
      lastTs: this.lastTs,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
    };
  }
}

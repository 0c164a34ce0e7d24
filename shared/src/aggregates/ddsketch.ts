/**
 * Counts per logarithmic bucket, for one sign. Grows with the occupied range only: a sensor
 * whose readings stay within a few percent uses a few buckets, not a preallocated chunk.
 * Past bucketsMax the lowest buckets collapse into one (values nearest zero lose accuracy,
 * the upper quantiles keep it), as DDSketch's "collapsing lowest" store.
 */
export class BucketStore {
  minKey = 0;
  counts: number[] = [];
  total = 0;
  private collapsed = false;

  constructor(readonly bucketsMax: number) {}

  add(key: number, weight: number): void {
    const counts = this.counts;
    if (counts.length === 0) {
      this.minKey = key;
      counts.push(weight);
    } else if (key < this.minKey) {
      if (this.collapsed) counts[0] += weight;
      else {
        this.counts = new Array<number>(this.minKey - key).fill(0).concat(counts);
        this.counts[0] = weight;
        this.minKey = key;
        this.collapseIfNeeded();
      }
    } else {
      const index = key - this.minKey;
      while (counts.length <= index) counts.push(0);
      counts[index] += weight;
      this.collapseIfNeeded();
    }
    this.total += weight;
  }

  private collapseIfNeeded(): void {
    const excess = this.counts.length - this.bucketsMax;
    if (excess <= 0) return;
    let folded = 0;
    for (let i = 0; i <= excess; i++) folded += this.counts[i];
    this.counts = this.counts.slice(excess);
    this.counts[0] = folded;
    this.minKey += excess;
    this.collapsed = true;
  }

  merge(other: BucketStore): void {
    for (let i = 0; i < other.counts.length; i++) if (other.counts[i] > 0) this.add(other.minKey + i, other.counts[i]);
  }

  /** The key holding the item of the given rank (0-based), counting from the lowest key. */
  keyAtRank(rank: number, lower = true): number {
    let running = 0;
    for (let i = 0; i < this.counts.length; i++) {
      running += this.counts[i];
      if ((lower && running > rank) || (!lower && running >= rank + 1)) return this.minKey + i;
    }
    return this.minKey + this.counts.length - 1;
  }
}

/**
 * DDSketch (Masson, Rim and Lee, VLDB 2019): quantiles with a relative error guarantee,
 * mergeable exactly (bucket counts add). A value v > 0 goes to bucket ceil(log_gamma(v)) with
 * gamma = (1 + a) / (1 - a); the bucket answers 2 gamma^k / (gamma + 1), within a of any
 * value in it. Negative values use a second store on |v|; zeros are counted apart.
 *
 * Written here rather than taken from @datadog/sketches-js: that package's stores preallocate
 * 128-bucket chunks (about 5 KB per sketch, 48 MB of a gateway's heap at 10,000 devices), and
 * its merge dropped negative values.
 */
export class DDSketch {
  readonly positive: BucketStore;
  readonly negative: BucketStore;
  zeroCount = 0;
  private readonly gamma: number;
  private readonly logGamma: number;

  constructor(
    readonly relativeAccuracy: number,
    bucketsMax: number,
  ) {
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
    this.positive = new BucketStore(bucketsMax);
    this.negative = new BucketStore(bucketsMax);
  }

  get count(): number {
    return this.positive.total + this.negative.total + this.zeroCount;
  }

  keyOf(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / this.logGamma);
  }

  valueOf(key: number): number {
    return (2 * this.gamma ** key) / (this.gamma + 1);
  }

  add(value: number, weight = 1): void {
    if (value > 0) this.positive.add(this.keyOf(value), weight);
    else if (value < 0) this.negative.add(this.keyOf(-value), weight);
    else this.zeroCount += weight;
  }

  merge(other: DDSketch): void {
    this.positive.merge(other.positive);
    this.negative.merge(other.negative);
    this.zeroCount += other.zeroCount;
  }

  /** The value at quantile q in [0, 1]; NaN when empty. */
  quantile(q: number): number {
    const count = this.count;
    if (count === 0) return Number.NaN;
    const rank = q * (count - 1);
    const negatives = this.negative.total;
    if (rank < negatives) return -this.valueOf(this.negative.keyAtRank(negatives - rank - 1, false));
    if (rank < negatives + this.zeroCount) return 0;
    return this.valueOf(this.positive.keyAtRank(rank - negatives - this.zeroCount));
  }
}

/**
 * Count, mean, variance, min and max of numbers in one pass, mergeable (Welford's update,
 * Chan's merge), as PySpark's StatCounter.
 *
 * @example
 * const s = new StatCounter().add(1).add(2).add(3);
 * s.mean; // 2
 */
export class StatCounter {
  count = 0;
  private mu = 0;
  private m2 = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(values: Iterable<number> = []) {
    for (const value of values) this.add(value);
  }

  add(value: number): this {
    const delta = value - this.mu;
    this.count++;
    this.mu += delta / this.count;
    this.m2 += delta * (value - this.mu);
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    return this;
  }

  merge(other: StatCounter): this {
    if (other.count === 0) return this;
    if (this.count === 0) {
      Object.assign(this, { count: other.count, mu: other.mu, m2: other.m2, sum: other.sum, min: other.min, max: other.max });
      return this;
    }
    const delta = other.mu - this.mu;
    const total = this.count + other.count;
    this.mu = (this.mu * this.count + other.mu * other.count) / total;
    this.m2 += other.m2 + (delta * delta * this.count * other.count) / total;
    this.count = total;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /** NaN when empty. */
  get mean(): number {
    return this.count === 0 ? Number.NaN : this.mu;
  }

  /** Population variance; NaN when empty. */
  get variance(): number {
    return this.count === 0 ? Number.NaN : this.m2 / this.count;
  }

  /** Divides by n - 1; NaN with fewer than two values. */
  get sampleVariance(): number {
    return this.count <= 1 ? Number.NaN : this.m2 / (this.count - 1);
  }

  get stdev(): number {
    return Math.sqrt(this.variance);
  }

  get sampleStdev(): number {
    return Math.sqrt(this.sampleVariance);
  }

  toString(): string {
    return `(count: ${this.count}, mean: ${this.mean}, stdev: ${this.stdev}, max: ${this.max}, min: ${this.min})`;
  }
}

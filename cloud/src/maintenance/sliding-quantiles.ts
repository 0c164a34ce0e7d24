/**
 * The values of a sliding window, kept sorted, for robust statistics of a device's own recent
 * past: median and interquartile range in O(1), an insert or a removal in O(log n) plus a move.
 * A window of a week of hours holds at most 168 values, so the move is a short memmove.
 */
export class SlidingQuantiles {
  private readonly sorted: number[] = [];

  get size(): number {
    return this.sorted.length;
  }

  add(value: number): void {
    this.sorted.splice(this.lowerBound(value), 0, value);
  }

  /** Removes one occurrence of a value added before. */
  remove(value: number): void {
    const at = this.lowerBound(value);
    if (this.sorted[at] === value) this.sorted.splice(at, 1);
  }

  /** The q-quantile by linear interpolation between order statistics; NaN when empty. */
  quantile(q: number): number {
    const n = this.sorted.length;
    if (n === 0) return Number.NaN;
    const position = q * (n - 1);
    const below = Math.floor(position);
    const above = Math.min(n - 1, below + 1);
    return this.sorted[below] + (this.sorted[above] - this.sorted[below]) * (position - below);
  }

  /** A robust standard deviation: the interquartile range over 1.349 (the normal's ratio). */
  robustStd(): number {
    return (this.quantile(0.75) - this.quantile(0.25)) / 1.349;
  }

  private lowerBound(value: number): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.sorted[middle] < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

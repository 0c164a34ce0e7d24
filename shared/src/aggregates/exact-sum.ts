/**
 * A sum of doubles that is exact until the final rounding, so it does not depend on the order
 * or grouping of additions and merges: what a gateway forwards sums to the same bits in the
 * cloud whichever partitions arrive first. Shewchuk's algorithm, as Python's math.fsum: the
 * running total is kept as a few non-overlapping partials (usually one to three).
 *
 * @example
 * const s = new ExactSum(); s.add(1e100); s.add(1); s.add(-1e100); s.value(); // 1
 */
export class ExactSum {
  /** Non-overlapping partials in increasing magnitude; their exact sum is the total. */
  readonly partials: number[];

  constructor(partials: readonly number[] = []) {
    this.partials = partials.slice();
  }

  add(value: number): void {
    const partials = this.partials;
    let x = value;
    let kept = 0;
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    partials.push(x);
  }

  merge(other: ExactSum): void {
    for (const partial of other.partials) this.add(partial);
  }

  /** The exact sum, correctly rounded to a double (math.fsum's final step). */
  value(): number {
    const partials = this.partials;
    let n = partials.length;
    if (n === 0) return 0;
    let hi = partials[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = partials[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half-even across the remaining partials, as fsum does.
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  clone(): ExactSum {
    return new ExactSum(this.partials);
  }
}

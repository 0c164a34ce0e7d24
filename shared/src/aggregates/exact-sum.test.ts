import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from './exact-sum.js';

const sumOf = (values: readonly number[]) => {
  const s = new ExactSum();
  for (const v of values) s.add(v);
  return s;
};

describe('ExactSum', () => {
  it('is exact where naive addition is not', () => {
    expect(sumOf([1e100, 1, -1e100]).value()).toBe(1);
    expect(sumOf(Array(10).fill(0.1)).value()).toBe(1);
    expect(sumOf([]).value()).toBe(0);
  });

  it('does not depend on order or grouping (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e12, max: 1e12, noNaN: true }), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (values, cuts) => {
          const whole = sumOf(values).value();
          expect(sumOf(values.slice().reverse()).value()).toBe(whole);
          // Split at arbitrary points and merge the parts in reverse.
          const points = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
          const parts: number[][] = [];
          let from = 0;
          for (const p of [...points, values.length]) {
            parts.push(values.slice(from, p));
            from = p;
          }
          const merged = new ExactSum();
          for (const part of parts.reverse()) merged.merge(sumOf(part));
          expect(merged.value()).toBe(whole);
        },
      ),
    );
  });
});

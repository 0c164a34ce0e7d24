import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from './exact-sum.js';
import { MetricState, quantileRelativeAccuracy } from './metric-state.js';
import { decodeMetricState, encodeMetricState } from './metric-state-codec.js';

type Reading = [number, number]; // [value, ts]

// Sensor magnitudes: 1e-3 to 1e6 either side of zero (within the sketch's uncollapsed span), and zero.
const magnitude = fc.double({ min: 1e-3, max: 1e6, noNaN: true });
const reading = fc.tuple(
  fc.oneof(
    magnitude,
    magnitude.map((v) => -v),
    fc.integer({ min: -100, max: 100 }),
    fc.constant(0),
  ),
  fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
);
const groups = fc.array(fc.array(reading, { maxLength: 20 }), { maxLength: 6 });

function exactFigures(state: MetricState) {
  const { count, sum, min, max, mean, first, firstTs, last, lastTs } = state.summary();
  return { count, sum, min, max, mean, first, firstTs, last, lastTs };
}

function expectSameState(a: MetricState, b: MetricState): void {
  expect(exactFigures(a)).toEqual(exactFigures(b));
  if (a.count > 0) {
    const scale = Math.max(1, a.variance);
    expect(Math.abs(a.variance - b.variance) / scale).toBeLessThan(1e-9);
    for (const q of [0, 0.5, 0.95, 0.99, 1]) expect(a.quantile(q)).toBe(b.quantile(q));
  }
}

const stateOf = (readings: readonly Reading[]) => MetricState.of(readings);

describe('MetricState', () => {
  it('summarises readings: count, sum, min, max, mean, variance, first and last by event time', () => {
    const s = MetricState.of([
      [4, 3000],
      [2, 1000],
      [9, 5000],
      [5, 2000],
    ]);
    expect(s.summary()).toMatchObject({ count: 4, sum: 20, min: 2, max: 9, mean: 5, first: 2, firstTs: 1000, last: 9, lastTs: 5000 });
    expect(s.variance).toBeCloseTo(6.5, 12);
    expect(s.sampleVariance).toBeCloseTo(26 / 3, 12);
  });

  it('is empty-safe: NaN statistics, and merging an empty state changes nothing', () => {
    const empty = MetricState.empty();
    expect(empty.count).toBe(0);
    expect(Number.isNaN(empty.mean)).toBe(true);
    expect(Number.isNaN(empty.quantile(0.5))).toBe(true);
    const one = MetricState.of([[7, 1]]);
    expectSameState(one.clone().merge(MetricState.empty()), one);
    expectSameState(MetricState.empty().merge(one), one);
    expect(one.variance).toBe(0);
    expect(one.quantile(0.99)).toBe(7);
  });

  it('rejects non-finite values and timestamps with the value named', () => {
    expect(() => MetricState.empty().add(Number.NaN, 1)).toThrow('value was NaN, expected a finite number');
    expect(() => MetricState.empty().add(1, Number.POSITIVE_INFINITY)).toThrow('ts was Infinity');
    expect(() => MetricState.empty().quantile(2)).toThrow('q was 2');
  });

  it('keeps negative readings in merged quantiles', () => {
    // Regression: @datadog/sketches-js 2.1's own merge drops the negative store.
    const merged = MetricState.of([
      [-5, 1],
      [-5, 2],
    ]).merge(MetricState.of([[3, 3]]));
    expect(merged.quantile(0)).toBe(-5);
    expect(merged.quantile(0.5)).toBeCloseTo(-5, 0);
    expect(merged.quantile(1)).toBe(3);
  });

  it('merge is commutative (property)', () => {
    fc.assert(
      fc.property(fc.array(reading), fc.array(reading), (xs, ys) => {
        expectSameState(stateOf(xs).merge(stateOf(ys)), stateOf(ys).merge(stateOf(xs)));
      }),
    );
  });

  it('merge is associative and any grouping equals adding everything to one state (property)', () => {
    fc.assert(
      fc.property(fc.array(reading), fc.array(reading), fc.array(reading), (xs, ys, zs) => {
        const left = stateOf(xs).merge(stateOf(ys)).merge(stateOf(zs));
        const right = stateOf(xs).merge(stateOf(ys).merge(stateOf(zs)));
        expectSameState(left, right);
        expectSameState(left, stateOf([...xs, ...ys, ...zs]));
      }),
    );
  });

  it('merged in any order, matches figures computed independently (property)', () => {
    fc.assert(
      fc.property(groups, fc.nat(), (parts, seed) => {
        const all = parts.flat();
        const order = parts.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
        const merged = MetricState.empty();
        for (const i of order) merged.merge(stateOf(parts[i]));
        expect(merged.count).toBe(all.length);
        if (all.length === 0) return;
        const values = all.map(([v]) => v);
        const exact = new ExactSum();
        for (const v of values) exact.add(v);
        expect(merged.sum.value()).toBe(exact.value());
        expect(merged.min).toBe(Math.min(...values));
        expect(merged.max).toBe(Math.max(...values));
        const mean = exact.value() / values.length;
        const variance = values.reduce((acc, v) => acc + (v - mean) ** 2, 0) / values.length;
        expect(Math.abs(merged.variance - variance)).toBeLessThanOrEqual(1e-6 * Math.max(1, variance));
        const earliest = Math.min(...all.map(([, ts]) => ts));
        expect(merged.firstTs).toBe(earliest);
        expect(merged.first).toBe(Math.min(...all.filter(([, ts]) => ts === earliest).map(([v]) => v)));
      }),
    );
  });

  it('answers quantiles within the stated relative error (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), (values) => {
        const state = MetricState.of(values.map((v, i): Reading => [v, i]));
        const sorted = values.slice().sort((a, b) => a - b);
        for (const q of [0, 0.25, 0.5, 0.95, 0.99, 1]) {
          const rank = q * (sorted.length - 1);
          const low = sorted[Math.floor(rank)];
          const high = sorted[Math.ceil(rank)];
          const estimate = state.quantile(q);
          expect(estimate).toBeGreaterThanOrEqual(low * (1 - quantileRelativeAccuracy) - 1e-12);
          expect(estimate).toBeLessThanOrEqual(high * (1 + quantileRelativeAccuracy) + 1e-12);
        }
      }),
    );
  });

  it('round-trips through the wire codec unchanged (property)', () => {
    fc.assert(
      fc.property(fc.array(reading), (xs) => {
        const state = stateOf(xs);
        const decoded = decodeMetricState(encodeMetricState(state));
        expectSameState(decoded, state);
        expect(decoded.variance).toBe(state.variance);
        // A decoded state keeps merging like the original.
        expectSameState(decoded.merge(stateOf(xs)), stateOf(xs).merge(stateOf(xs)));
      }),
    );
  });

  it('encodes compactly', () => {
    const state = MetricState.of(Array.from({ length: 60 }, (_, i): Reading => [20 + Math.sin(i) * 0.5, i * 1000]));
    expect(encodeMetricState(state).length).toBeLessThan(120);
  });

  it('refuses malformed encodings with the field named', () => {
    expect(() => decodeMetricState(new Uint8Array([0xc1]))).toThrow('expected an array of 12 fields');
    expect(() => decodeMetricState(new Uint8Array([0x9c, 0x01]))).toThrow('metric state:');
    const bytes = encodeMetricState(MetricState.of([[1, 1]]));
    const newer = Uint8Array.from(bytes);
    newer[1] = 2; // the version, first element of the array
    expect(() => decodeMetricState(newer)).toThrow('metric state: version was 2, expected format version 1');
  });
});

import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter.js';

describe('RateMeter', () => {
  it('averages over the seconds since start, then over its window, forgetting what slid out', () => {
    const t0 = 1_000_000_000;
    const meter = new RateMeter(10, t0);
    meter.add(30, t0);
    meter.add(30, t0 + 2_500);
    expect(meter.perSecond(t0 + 2_500)).toBe(20); // 60 over 3 seconds
    expect(meter.perSecond(t0 + 9_999)).toBe(6); // 60 over the full 10
    expect(meter.perSecond(t0 + 10_000)).toBe(3); // the first second slid out
    meter.add(5, t0 + 20_000); // reuses a bucket: the old count does not leak in
    expect(meter.perSecond(t0 + 20_000)).toBe(0.5);
    expect(meter.perSecond(t0 + 60_000)).toBe(0);
  });

  it('names a bad window', () => {
    expect(() => new RateMeter(0)).toThrow('windowSeconds was 0, expected an integer >= 1');
  });
});

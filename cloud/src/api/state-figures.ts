import type { MetricState } from '@fogline/shared';

/** The figures of a state, as the API returns them. */
export function figures(state: MetricState) {
  const s = state.summary();
  return {
    count: s.count,
    sum: s.sum,
    mean: s.mean,
    min: s.min,
    max: s.max,
    variance: s.variance,
    stddev: s.stddev,
    p50: s.p50,
    p95: s.p95,
    p99: s.p99,
  };
}

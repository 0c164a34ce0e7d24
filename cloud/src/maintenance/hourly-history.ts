import type { MetricState } from '@fogline/shared';

/** What an hour of one metric of one device comes to: enough to merge hours exactly (Chan et al.). */
export interface HourMoments {
  readonly count: number;
  readonly mean: number;
  /** Sum of squared deviations from the mean (variance x count). */
  readonly m2: number;
  /** The hour's median and 95th percentile (from its sketch), when the rollup has them: how bursty the hour was. */
  readonly p50?: number;
  readonly p95?: number;
}

/** An hour rollup's moments and quantiles, as the maintenance models read them. */
export function hourMomentsOf(state: MetricState): HourMoments {
  if (state.count === 0) return { count: 0, mean: 0, m2: 0 };
  return { count: state.count, mean: state.mean, m2: state.variance * state.count, p50: state.quantile(0.5), p95: state.quantile(0.95) };
}

/** One device's history by hour: metric -> hour start (epoch ms) -> moments. */
export type DeviceHistory = Map<string, Map<number, HourMoments>>;

export const hourMs = 3_600_000;

/** Events arrive as readings of `event.<type>`; these two are labels and context, not signals. */
export const failureMetric = 'event.failure';
export const repairMetric = 'event.repair';

/** Merges the hours of one metric that start in [fromMs, toMs). */
export function mergeHours(hours: ReadonlyMap<number, HourMoments> | undefined, fromMs: number, toMs: number): HourMoments {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  if (!hours) return { count, mean, m2 };
  for (let h = Math.ceil(fromMs / hourMs) * hourMs; h < toMs; h += hourMs) {
    const part = hours.get(h);
    if (!part || part.count === 0) continue;
    const total = count + part.count;
    const delta = part.mean - mean;
    mean += (delta * part.count) / total;
    m2 += part.m2 + (delta * delta * count * part.count) / total;
    count = total;
  }
  return { count, mean, m2 };
}

/** The hours at which a device had events of this metric (a failure, a repair), in order. */
export function eventHours(history: DeviceHistory, metric: string): number[] {
  return [...(history.get(metric)?.entries() ?? [])]
    .filter(([, moments]) => moments.count > 0)
    .map(([hour]) => hour)
    .sort((a, b) => a - b);
}

/** Adds one reading to an hour's moments (Welford), for building histories from raw readings. */
export function addReading(hours: Map<number, HourMoments>, atMs: number, value: number): void {
  const hour = Math.floor(atMs / hourMs) * hourMs;
  const current = hours.get(hour) ?? { count: 0, mean: 0, m2: 0 };
  const count = current.count + 1;
  const delta = value - current.mean;
  const mean = current.mean + delta / count;
  hours.set(hour, { count, mean, m2: current.m2 + delta * (value - mean) });
}

/** Adds one hour rollup to the devices' histories (count, mean, squared deviations). */
export function addHour(devices: Map<string, DeviceHistory>, deviceId: string, metric: string, startMs: number, state: MetricState): void {
  let history = devices.get(deviceId);
  if (!history) {
    history = new Map();
    devices.set(deviceId, history);
  }
  let hours = history.get(metric);
  if (!hours) {
    hours = new Map();
    history.set(metric, hours);
  }
  hours.set(startMs, hourMomentsOf(state));
}

// A job that keeps a baseline per device and alerts on what departs from it, for the simulated
// ATM fleet's dispenser vibration. A fleet-wide threshold misses a device that runs quiet
// and fires all day on one that runs loud; against its own baseline each is judged fairly.
//
//   job:
//     - "@fogline/edge/jobs/default-job.js"
//     - "@fogline/edge/jobs/zscore-alerts-job.js"
//
// Per device: an exponentially weighted mean and variance (about the last 100 readings), the
// reading's z-score against them before it joins, and an alert past zAlert once the baseline
// has warmed up. Readings that alert are kept out of the baseline, so a failing part does not
// teach the baseline that failing is normal. The baselines are the job's state: checkpointed
// with the gateway's, so a restart goes on from them and replays what came after exactly.
// The z-score is also forwarded as a metric of its own (dispenserVibrationZ).
import type { KeyState, Reading } from '@fogline/shared';
import type { GatewayJob } from '../pipeline/gateway-job.js';

export const scoredMetric = 'dispenserVibration';
export const zMetric = 'dispenserVibrationZ';
/** A reading this many standard deviations above its device's baseline alerts. */
export const zAlert = 4;
/** Readings a baseline needs before it judges. */
export const warmUpReadings = 30;
/** The weight of each new reading: about the last 1 / alpha readings count. */
const alpha = 0.01;
/** Devices with a baseline at most; past it the batch fails loudly (see mapWithState). */
const devicesMax = 100_000;

/** A device's baseline: weighted mean and variance of its readings so far. */
export interface Baseline {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

interface Scored {
  readonly reading: Reading;
  readonly z: number;
}

/** The reading's z-score against the baseline (NaN while it warms up), and the baseline after it. */
export function score(baseline: Baseline | undefined, value: number): { z: number; next: Baseline } {
  if (!baseline) return { z: Number.NaN, next: { n: 1, mean: value, variance: 0 } };
  const sd = Math.sqrt(baseline.variance);
  const z = baseline.n < warmUpReadings ? Number.NaN : sd > 0 ? (value - baseline.mean) / sd : 0;
  if (z > zAlert) return { z, next: baseline }; // kept out of the baseline
  // West's weighted update: the warm-up averages plainly, then weights settle at alpha.
  const weight = Math.max(alpha, 1 / (baseline.n + 1));
  const delta = value - baseline.mean;
  const mean = baseline.mean + weight * delta;
  const variance = (1 - weight) * (baseline.variance + weight * delta * delta);
  return { z, next: { n: baseline.n + 1, mean, variance } };
}

const zscoreAlertsJob: GatewayJob = (readings, { forward, emitAlert }) => {
  const scored = readings
    .filter((r: Reading) => r.metric === scoredMetric)
    .map((r): [string, Reading] => [r.deviceId, r])
    .mapWithState<string, Reading, Baseline, Scored>({
      stateKeysMax: devicesMax,
      func: (_deviceId, reading, state: KeyState<Baseline>) => {
        if (!reading) return undefined;
        const { z, next } = score(state.state, reading.value);
        state.update(next);
        return { reading, z };
      },
    });
  forward(scored.filter(({ z }) => Number.isFinite(z)).map(({ reading, z }): Reading => ({ ...reading, metric: zMetric, value: z })));
  scored
    .filter(({ z }) => z > zAlert)
    .foreachRDD(async (rdd) => {
      for (const { reading, z } of await rdd.collect())
        emitAlert({
          rule: 'vibration-zscore',
          kind: 'job',
          severity: 'warning',
          deviceId: reading.deviceId,
          metric: reading.metric,
          ts: reading.ts,
          value: reading.value,
          message: `${reading.deviceId}: dispenser vibration ${reading.value} is ${z.toFixed(1)} standard deviations above its own baseline`,
        });
    });
};

export default zscoreAlertsJob;

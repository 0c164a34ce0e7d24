// A job that derives a metric, for the simulated ATM fleet: how much the cash dispenser shakes
// per amp it draws. A worn dispenser shakes more for the same load, so this rises earlier and
// more cleanly than vibration alone when the load changes.
//
//   job:
//     - "@fogline/edge/jobs/default-job.js"
//     - "@fogline/edge/jobs/derived-metric-job.js"
//
// An ATM sends dispenserVibration and dispenserCurrent in one publish, with one timestamp, so
// both readings are in the same micro-batch: they are paired by (device, ts) inside it. The
// derived reading is a spread of the vibration reading, so it keeps its log offset and a
// restart replays it exactly. It is forwarded like any reading: the cloud merges it per
// device and window, and the dashboard lists it beside the measured metrics.
import type { Reading } from '@fogline/shared';
import type { GatewayJob } from '../pipeline/gateway-job.js';

export const derivedMetric = 'dispenserVibrationPerAmp';
const vibration = 'dispenserVibration';
const current = 'dispenserCurrent';
/** Below this the dispenser is idle: no ratio (it would only measure noise). */
const idleCurrentA = 0.05;

const derivedMetricJob: GatewayJob = (readings, { forward }) => {
  const derived = readings.transform((rdd) =>
    rdd
      .filter((r: Reading) => r.metric === vibration || r.metric === current)
      .keyBy((r) => `${r.deviceId}\u0000${r.ts}`)
      .groupByKey()
      .flatMap(([, pair]): Reading[] => {
        const v = pair.find((r) => r.metric === vibration);
        const a = pair.find((r) => r.metric === current);
        if (!v || !a || a.value < idleCurrentA) return [];
        return [{ ...v, metric: derivedMetric, value: v.value / a.value }];
      }),
  );
  forward(derived);
};

export default derivedMetricJob;

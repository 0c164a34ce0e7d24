// An example user pipeline for the gateway, written against the DStream API. Configure it
// (from any folder: it is a module of the installed @fogline/edge package):
//
//   pipelines:
//     - module: "@fogline/edge/examples/hot-devices-pipeline.js"
//       batchIntervalMs: 1000
//
// Every batch it computes each ATM's mean dispenser vibration over the last 10 batches (sliding
// every batch, incrementally with an inverse function) and raises an alert when it tops
// 1.5 g: a healthy dispenser runs near 0.9 g, a failing one drifts up by as much as 1.8 g.
import type { Reading } from '@fogline/shared';
import type { UserPipeline } from '../gateway.js';

const vibrationMeanMax = 1.5;
const metric = 'dispenserVibration';

const pipeline: UserPipeline = (readings, { emitAlert }) => {
  readings
    .filter((r: Reading) => r.metric === metric)
    .map((r): [string, [number, number]] => [r.deviceId, [r.value, 1]])
    .reduceByKeyAndWindow(
      ([s1, n1], [s2, n2]): [number, number] => [s1 + s2, n1 + n2],
      ([s1, n1], [s2, n2]): [number, number] => [s1 - s2, n1 - n2],
      10 * readings.ssc.batchIntervalMs,
      readings.ssc.batchIntervalMs,
      ([, n]) => n > 0,
    )
    .foreachRDD(async (rdd, timeMs) => {
      for (const [deviceId, [sum, n]] of await rdd.collect()) {
        const mean = sum / n;
        if (mean > vibrationMeanMax) {
          emitAlert({
            rule: 'hot-devices',
            kind: 'threshold',
            severity: 'warning',
            deviceId,
            metric,
            ts: timeMs,
            value: mean,
            message: `mean dispenser vibration of ${deviceId} over the last 10 batches is ${mean.toFixed(3)} g, above ${vibrationMeanMax}`,
          });
        }
      }
    });
};

export default pipeline;

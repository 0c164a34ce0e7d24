import { MetricState, type Reading } from '@fogline/shared';
import { eventMetricPrefix } from '../ingest/decode-payload.js';

let nextWindowStateId = 0;

/**
 * One device and metric in one open window: its MetricState, and the timestamps of the
 * device-stamped readings it holds. A device-stamped reading is (device, metric, ts), as in a
 * time-series database: the same one again, in any form (another packet id, after a firmware
 * restart, in a batch), is counted once while its window is open; the first value is kept.
 * A reading stamped on arrival has no identity of its own, so it always counts; nor has an
 * event (`event.<type>`): two errors of one type at one millisecond are two occurrences. (The
 * metric name, not a flag, decides, so that a replay of the log decides the same.)
 *
 * Admitting a reading and adding its value are two steps of the gateway's engine job: the
 * event-time step admits it (here), the aggregation adds it to `metric` (see WindowPipeline).
 * The id is the key the aggregation combines by: a number hashes fastest.
 *
 * The stamps are kept sorted; readings mostly arrive in order, so adding one is a push.
 */
export class WindowState {
  readonly id = nextWindowStateId++;
  readonly metric = MetricState.empty();
  /** Whose state this is: set by the first reading admitted (the windows key states by metric within a device). */
  deviceId = '';
  metricName = '';
  private stamps: number[] | undefined;

  /**
   * False when it is a device-stamped reading this window already holds. `distinct` false:
   * every reading counts (a job's rollup of many devices' readings under one name).
   */
  admit(reading: Reading, distinct = true): boolean {
    if (this.deviceId === '') {
      this.deviceId = reading.deviceId;
      this.metricName = reading.metric;
    }
    if (!distinct || reading.arrival || reading.metric.startsWith(eventMetricPrefix)) return true;
    return this.stamp(reading.ts);
  }

  private stamp(ts: number): boolean {
    const stamps = this.stamps;
    if (stamps === undefined) {
      this.stamps = [ts];
      return true;
    }
    const last = stamps[stamps.length - 1];
    if (ts > last) {
      stamps.push(ts);
      return true;
    }
    if (ts === last) return false;
    let low = 0;
    let high = stamps.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (stamps[middle] < ts) low = middle + 1;
      else high = middle;
    }
    if (stamps[low] === ts) return false;
    stamps.splice(low, 0, ts);
    return true;
  }
}

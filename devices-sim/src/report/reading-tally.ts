import { ExactSum } from '@fogline/shared';

interface MetricTally {
  count: number;
  readonly sum: ExactSum;
}

/** The per-metric part of a summary: how many readings, and their exact sum. */
export interface MetricTotals {
  readonly count: number;
  readonly sum: number;
}

/**
 * Readings counted per device and metric, with exact sums (the cloud's sums are exact too,
 * so a test can compare totals with ===, not within a tolerance).
 */
export class ReadingTally {
  private readonly devices = new Map<string, Map<string, MetricTally>>();

  add(deviceId: string, readings: Readonly<Record<string, number>>): void {
    let metrics = this.devices.get(deviceId);
    if (!metrics) {
      metrics = new Map();
      this.devices.set(deviceId, metrics);
    }
    for (const metric in readings) {
      let tally = metrics.get(metric);
      if (!tally) {
        tally = { count: 0, sum: new ExactSum() };
        metrics.set(metric, tally);
      }
      tally.count++;
      tally.sum.add(readings[metric]);
    }
  }

  /** Readings of every device and metric. */
  get readings(): number {
    let total = 0;
    for (const metrics of this.devices.values()) for (const tally of metrics.values()) total += tally.count;
    return total;
  }

  /** Per metric over the fleet. */
  perMetric(): Record<string, MetricTotals> {
    const merged = new Map<string, MetricTally>();
    for (const metrics of this.devices.values()) {
      for (const [metric, tally] of metrics) {
        let total = merged.get(metric);
        if (!total) {
          total = { count: 0, sum: new ExactSum() };
          merged.set(metric, total);
        }
        total.count += tally.count;
        total.sum.merge(tally.sum);
      }
    }
    return Object.fromEntries(
      [...merged].sort(([a], [b]) => (a < b ? -1 : 1)).map(([metric, t]) => [metric, { count: t.count, sum: t.sum.value() }]),
    );
  }

  /** Per device, then metric. */
  perDevice(): Record<string, Record<string, MetricTotals>> {
    const out: Record<string, Record<string, MetricTotals>> = {};
    for (const deviceId of [...this.devices.keys()].sort()) {
      const metrics = this.devices.get(deviceId) as Map<string, MetricTally>;
      out[deviceId] = Object.fromEntries(
        [...metrics].sort(([a], [b]) => (a < b ? -1 : 1)).map(([metric, t]) => [metric, { count: t.count, sum: t.sum.value() }]),
      );
    }
    return out;
  }
}

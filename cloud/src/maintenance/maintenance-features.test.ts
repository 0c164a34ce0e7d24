import { RddContext } from '@fogline/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { lcg } from '../testing/test-random.js';
import { type DeviceHistory, type HourMoments, hourMs } from './hourly-history.js';
import { type DeviceInput, featureRows, fitFeatureSpace } from './maintenance-features.js';

const rdd = new RddContext({ defaultParallelism: 2 });
afterAll(() => rdd.stop());

const hours = 14 * 24;
const hour = (mean: number): HourMoments => ({ count: 12, mean, m2: 11 * 0.01 });

/**
 * Two sites, each with its own weather (a large slow swing both sites' devices follow), devices
 * with their own lifelong offsets, usage that drives the temperature; device 0 of site a
 * drifts up over its last 12 hours.
 */
function fleet(): DeviceInput[] {
  const random = lcg(9);
  const devices: DeviceInput[] = [];
  for (const site of ['a', 'b']) {
    const weatherPhase = site === 'a' ? 0 : 2;
    for (let d = 0; d < 8; d++) {
      const offset = (random() - 0.5) * 6;
      const temperature = new Map<number, HourMoments>();
      const transactions = new Map<number, HourMoments>();
      const doors = new Map<number, HourMoments>();
      for (let h = 0; h < hours; h++) {
        const usage = 10 + 8 * Math.sin((2 * Math.PI * h) / 24 + d) + (random() - 0.5) * 4;
        const weather = 5 * Math.sin((2 * Math.PI * h) / 60 + weatherPhase);
        const drift = site === 'a' && d === 0 && h >= hours - 12 ? 4 : 0;
        temperature.set(h * hourMs, hour(30 + offset + weather + 0.1 * usage + (random() - 0.5) * 0.4 + drift));
        transactions.set(h * hourMs, hour(usage));
        if (h % 50 === 0) doors.set(h * hourMs, { count: 1, mean: 1, m2: 0 });
      }
      const history: DeviceHistory = new Map([
        ['temperature', temperature],
        ['transactions', transactions],
        ['event.door-open', doors],
      ]);
      devices.push({ deviceId: `${site}-${d}`, site, history });
    }
  }
  return devices;
}

describe('maintenance features', () => {
  it('fits how much a metric moves with usage, relative to the site', async () => {
    const devices = fleet();
    const { space } = await fitFeatureSpace(rdd, devices, devices);
    expect(space.usageMetric).toBe('transactions');
    expect(space.usageSlopes.temperature).toBeCloseTo(0.1, 1);
    expect(space.metrics).toEqual(['event.door-open', 'temperature', 'transactions']);
  });

  it('takes out the site’s weather and the device’s own offset: a healthy device stays near 0, a drifting one stands out', async () => {
    const devices = fleet();
    const { space, medians } = await fitFeatureSpace(rdd, devices, devices);
    const z1 = space.names.indexOf('temperature.z1');
    const level = space.names.indexOf('temperature.level');
    const healthy = featureRows(devices[3], medians.get('a'), space);
    const late = healthy.filter((r) => r.hourMs >= 9 * 24 * hourMs);
    // The level swings with the weather by +-5 and sits 3 from its neighbours; the z-score does not.
    const levels = late.map((r) => r.x[level]);
    expect(Math.max(...levels) - Math.min(...levels)).toBeGreaterThan(6);
    const healthiest = Math.max(...late.map((r) => Math.abs(r.x[z1])));
    expect(healthiest).toBeLessThan(4);
    const drifting = featureRows(devices[0], medians.get('a'), space);
    expect(drifting[drifting.length - 1].x[z1]).toBeGreaterThan(2 * healthiest);
  });

  it('leaves a metric the device lacks missing, never 0, and counts an event hour with none as 0', async () => {
    const devices = fleet();
    devices[1].history.delete('temperature');
    const { space, medians } = await fitFeatureSpace(rdd, devices, devices);
    const rows = featureRows(devices[1], medians.get('a'), space);
    const row = rows[rows.length - 1];
    for (const feature of ['level', 'trend', 'variability', 'z1', 'z6', 'z24', 'burst', 'excursions'])
      expect(row.x[space.names.indexOf(`temperature.${feature}`)], feature).toBeNaN();
    expect(row.x[space.names.indexOf('transactions.level')]).not.toBeNaN();
    expect(row.x[space.names.indexOf('event.door-open.level')]).toBe(0);
    // Before a week of baseline, the z-scores are missing too.
    expect(rows[10].x[space.names.indexOf('transactions.z1')]).toBeNaN();
    // Never a repair or a service seen: the hours since are capped at 30 days.
    expect(row.x[space.names.indexOf('hoursSinceService')]).toBeCloseTo(Math.log1p(30 * 24), 12);
  });

  it('gives the same latest rows when asked for them only, the hours before still feeding the baselines', async () => {
    const devices = fleet();
    const { space, medians } = await fitFeatureSpace(rdd, devices, devices);
    const all = featureRows(devices[0], medians.get('a'), space);
    const fromMs = all[all.length - 5].hourMs;
    const latest = featureRows(devices[0], medians.get('a'), space, fromMs);
    expect(latest.map((r) => r.hourMs)).toEqual(all.slice(-5).map((r) => r.hourMs));
    expect(latest.map((r) => [...r.x])).toEqual(all.slice(-5).map((r) => [...r.x]));
    expect(latest[4].x[space.names.indexOf('temperature.excursions')]).toBeGreaterThan(0); // reads z-scores of hours before fromMs
  });
});

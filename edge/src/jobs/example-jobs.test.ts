import type { Reading } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { logOffset, type OffsetReading } from '../pipeline/log-offset.js';
import defaultJob from './default-job.js';
import derivedMetricJob, { derivedMetric } from './derived-metric-job.js';
import { runJob } from './job-harness.js';
import siteRollupJob from './site-rollup-job.js';
import zscoreAlertsJob, { warmUpReadings, zAlert, zMetric } from './zscore-alerts-job.js';

const t0 = Date.UTC(2026, 11, 1);
const reading = (deviceId: string, metric: string, ts: number, value: number): Reading => ({ deviceId, metric, ts, value });
/** One ATM publish: the metrics the simulated fleet sends together, at one timestamp. */
const atmPublish = (deviceId: string, ts: number, vibration: number, current: number): Reading[] => [
  reading(deviceId, 'cashDispensed', ts, 80),
  reading(deviceId, 'cabinetTemperature', ts, 27),
  reading(deviceId, 'dispenserCurrent', ts, current),
  reading(deviceId, 'dispenserVibration', ts, vibration),
];

describe('the example jobs, on the simulated ATM fleet metric names', () => {
  it('default: forwards every reading as it came', async () => {
    const batch = atmPublish('atm-1', t0, 0.9, 1.2);
    const { forwarded, alerts } = await runJob(defaultJob, [batch]);
    expect(forwarded.map((f) => f.reading)).toEqual(batch);
    expect(forwarded.every((f) => f.distinct)).toBe(true);
    expect(alerts).toEqual([]);
  });

  it('derived metric: vibration per amp for every publish with both, none for an idle dispenser or a lone metric', async () => {
    const batches = [
      [...atmPublish('atm-1', t0, 0.9, 1.2), ...atmPublish('atm-2', t0, 1.8, 1.5)],
      [...atmPublish('atm-1', t0 + 60_000, 1.0, 0.0), reading('atm-3', 'dispenserVibration', t0, 2)],
    ];
    const { forwarded } = await runJob(derivedMetricJob, batches);
    const derived = forwarded.map((f) => f.reading).sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    expect(derived).toEqual([
      { deviceId: 'atm-1', metric: derivedMetric, ts: t0, value: 0.9 / 1.2 },
      { deviceId: 'atm-2', metric: derivedMetric, ts: t0, value: 1.8 / 1.5 },
    ]);
  });

  it('derived metric: the derived reading keeps the log offset of the reading it came from (a spread copies it)', async () => {
    const batch = atmPublish('atm-1', t0, 0.9, 1.2).map((r) => ({ ...r, [logOffset]: 42 }));
    const { forwarded } = await runJob(derivedMetricJob, [batch]);
    expect((forwarded[0].reading as OffsetReading)[logOffset]).toBe(42);
  });

  it('z-score: alerts on a device that leaves its own baseline, not on one that runs loud all its life', async () => {
    // atm-quiet runs at 0.8 +- 0.02, atm-loud at 2.5 +- 0.2 (above any fleet-wide threshold a quiet one would need).
    const jitter = (i: number) => ((i * 7919) % 13) / 6 - 1; // deterministic, in [-1, 1]
    const batches: Reading[][] = [];
    for (let i = 0; i < 200; i++) {
      const quiet = i === 150 ? 1.4 : 0.8 + 0.02 * jitter(i);
      batches.push([
        reading('atm-quiet', 'dispenserVibration', t0 + i * 60_000, quiet),
        reading('atm-loud', 'dispenserVibration', t0 + i * 60_000, 2.5 + 0.2 * jitter(i + 3)),
      ]);
    }
    const { forwarded, alerts } = await runJob(zscoreAlertsJob, batches);
    expect(alerts.map((a) => [a.deviceId, a.ts, a.value])).toEqual([['atm-quiet', t0 + 150 * 60_000, 1.4]]);
    expect(alerts[0].message).toMatch(/standard deviations above its own baseline/);
    // A z-score for every reading after the warm-up, per device.
    const zs = forwarded.map((f) => f.reading).filter((r) => r.metric === zMetric);
    expect(zs.filter((r) => r.deviceId === 'atm-loud')).toHaveLength(200 - warmUpReadings);
    expect(zs.find((r) => r.deviceId === 'atm-quiet' && r.ts === t0 + 150 * 60_000)?.value).toBeGreaterThan(zAlert);
    expect(Math.max(...zs.filter((r) => r.deviceId === 'atm-loud').map((r) => r.value))).toBeLessThan(zAlert);
  });

  it('site rollup: each reading again under its site, not deduplicated, sites from the device labels', async () => {
    const batch = [
      ...atmPublish('atm-1', t0, 0.9, 1.2),
      ...atmPublish('atm-2', t0, 1.1, 1.2),
      ...atmPublish('atm-3', t0, 1.3, 1.2),
      ...atmPublish('atm-9', t0, 1, 1),
    ];
    const labels = { 'atm-1': { site: 'lisbon' }, 'atm-2': { site: 'lisbon' }, 'atm-3': { site: 'São Bento' } };
    const { forwarded } = await runJob(siteRollupJob, [batch], labels);
    expect(forwarded.every((f) => !f.distinct)).toBe(true);
    const bySite = new Map<string, number[]>();
    for (const { reading: r } of forwarded)
      bySite.set(`${r.deviceId}/${r.metric}`, [...(bySite.get(`${r.deviceId}/${r.metric}`) ?? []), r.value]);
    expect(bySite.get('site-lisbon/site.dispenserVibration')).toEqual([0.9, 1.1]);
    expect(bySite.get('site-lisbon/site.cashDispensed')).toEqual([80, 80]);
    expect(bySite.get('site-unlabelled/site.dispenserVibration')).toEqual([1]);
    // A label a device id could not hold becomes one it can.
    expect(bySite.get('site-S_o_Bento/site.dispenserVibration')).toEqual([1.3]);
    expect([...bySite.keys()].some((k) => k.includes('dispenserCurrent'))).toBe(false);
  });
});

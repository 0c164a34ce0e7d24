import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RddContext } from '@fogline/shared';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { CloudStore } from '../store/cloud-store.js';
import { openLevelCloudStore } from '../store/level/level-cloud-store.js';
import { envelope, partitionTopic } from '../testing/envelope-fixture.js';
import { failureMetric, hourMs, repairMetric } from './hourly-history.js';
import { isHeldOut, type MaintenanceModel } from './maintenance-model.js';
import { MaintenanceService, type RiskSummary } from './maintenance-service.js';

const rdd = new RddContext({ defaultParallelism: 2 });
afterAll(() => rdd.stop());
const logger = pino({ level: 'silent' });

function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Fills a store as gateways would: one envelope an hour with every motor's temperature (six
 * readings), which climbs for 48 h before each failure, and the failure and repair events.
 * Ten environment sensors, with no failures, make a second kind that cannot be trained.
 */
async function populatedStore(motors: number, days: number): Promise<{ store: CloudStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fogline-maintenance-'));
  const store = await openLevelCloudStore(dir, 'process', 'test');
  const random = lcg(3);
  const startMs = Date.UTC(2026, 9, 1);
  const nextFailure = Array.from({ length: motors }, () => startMs + (2 + random() * 8) * 24 * hourMs);
  const downUntil = new Array<number>(motors).fill(0);
  for (let hour = 0; hour < days * 24; hour++) {
    const hourStartMs = startMs + hour * hourMs;
    const records: [string, string, number[]][] = [];
    for (let m = 0; m < motors; m++) {
      const id = `motor-${m}`;
      if (hourStartMs < downUntil[m]) continue;
      if (hourStartMs >= nextFailure[m]) {
        records.push([id, failureMetric, [1]]);
        downUntil[m] = hourStartMs + 4 * hourMs;
        nextFailure[m] = downUntil[m] + (4 + random() * 10) * 24 * hourMs;
        continue;
      }
      if (hourStartMs === downUntil[m]) records.push([id, repairMetric, [1]]);
      const toFailureHours = (nextFailure[m] - hourStartMs) / hourMs;
      const drift = toFailureHours < 48 ? ((48 - toFailureHours) / 48) ** 2 * 8 : 0;
      records.push([id, 'temperature', Array.from({ length: 6 }, () => 40 + (random() - 0.5) * 2 + drift)]);
    }
    for (let s = 0; s < 10; s++) records.push([`env-${s}`, 'humidity', [50 + random() * 5]]);
    await store.partitions.apply(
      partitionTopic('gw'),
      envelope('gw', hour, records, { windowStartMs: hourStartMs, windowEndMs: hourStartMs + hourMs }),
    );
  }
  const registry: Record<string, Record<string, string>> = {};
  for (let m = 0; m < motors; m++) registry[`motor-${m}`] = { model: 'MOTOR-X' };
  for (let s = 0; s < 10; s++) registry[`env-${s}`] = { model: 'ENV-1' };
  await store.registry.putDevices('gw', registry);
  return { store, dir };
}

describe('MaintenanceService on a populated store', () => {
  it('trains a model per kind from the hour rollups, ranks every device, and ranks again after a restart from the stored model', async () => {
    const { store, dir } = await populatedStore(40, 30);
    const service = new MaintenanceService(store, rdd, logger);
    const scored: RiskSummary[] = [];
    service.events.on('scored', (summary) => scored.push(summary));

    const { trained, skipped } = await service.train();
    expect(trained.map((m) => m.kind)).toEqual(['MOTOR-X']);
    expect(skipped).toEqual([{ kind: 'ENV-1', reason: expect.stringContaining('0 hours before a failure') }]);
    const [model] = trained;
    expect(model.data.devices + (model.validation.calibrationDevices ?? 0) + model.validation.devices).toBe(40);
    expect(model.validation.devices).toBe(Array.from({ length: 40 }, (_, m) => `motor-${m}`).filter((id) => isHeldOut(id, 0.2)).length);
    expect(model.validation.rocAuc).toBeGreaterThan(0.9);

    const ranking = service.risk(100);
    expect(ranking.devices.map((d) => d.kind)).toEqual(new Array(40).fill('MOTOR-X')); // sensors have no model
    const risks = ranking.devices.map((d) => d.risk);
    expect(risks).toEqual([...risks].sort((a, b) => b - a));
    const top = ranking.devices[0];
    expect(service.deviceRisk(top.deviceId)).toEqual(top);
    expect(top.drivers.map((d) => d.feature)).toEqual(expect.arrayContaining([expect.stringMatching(/^(temperature\.|hoursSinceRepair)/)]));
    expect(scored).toEqual([service.summary()]);
    expect(service.summary()).toMatchObject({
      devicesScored: 40,
      devicesAlerting: ranking.devices.filter((d) => d.risk >= model.validation.threshold).length,
    });

    // A restart: the new service scores from the stored model, without training again.
    await store.close();
    const reopened = await openLevelCloudStore(dir, 'process', 'test');
    try {
      const again = new MaintenanceService(reopened, rdd, logger);
      expect((await again.models()).map((m: MaintenanceModel) => m.trainedAtMs)).toEqual([model.trainedAtMs]);
      // The stored ranking serves at once; a new scoring pass ranks the same.
      await again.loadRanking();
      expect(again.risk(100).devices).toEqual(ranking.devices);
      await again.score();
      expect(again.risk(100).devices).toEqual(ranking.devices);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});

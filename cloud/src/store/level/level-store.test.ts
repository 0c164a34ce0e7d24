import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binarySublevel, sortableKey } from '@fogline/shared';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { envelope, fixtureWindow, partitionTopic } from '../../testing/envelope-fixture.js';
import { describeCloudStore } from '../store-conformance.js';
import { openLevelCloudStore } from './level-cloud-store.js';
import { LevelDedupLedger } from './level-dedup-ledger.js';

describeCloudStore('level', {
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-cloud-'));
    return { store: await openLevelCloudStore(dir, 'process', 'test'), reopen: () => openLevelCloudStore(dir, 'process', 'test') };
  },
});

describe('level store specifics', () => {
  it('announces a stored risk ranking on its live channel (the node that scored is the only node)', async () => {
    const s = await openLevelCloudStore(mkdtempSync(join(tmpdir(), 'fogline-cloud-')), 'process', 'test');
    const risks: number[] = [];
    s.live.on('risk', ({ scoredAtMs }) => risks.push(scoredAtMs));
    await s.models.putRanking({ scoredAtMs: 7, devices: [] });
    expect(risks).toEqual([7]);
    await s.close();
  });

  it('keeps its dedup record bounded: a mark plus the seqs above it, not one key per envelope', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-cloud-'));
    const s = await openLevelCloudStore(dir, 'process', 'test');
    for (const seq of [0, 1, 2, 4, 5]) await s.partitions.apply(partitionTopic('gw'), envelope('gw', seq, [['d', 't', [1]]]));
    await s.close();
    const db = new Level<string, Uint8Array>(join(dir, 'cloud.db'), { valueEncoding: 'view' });
    const ledger = new LevelDedupLedger(binarySublevel(db, 'dedup'));
    expect(await ledger.read('gw', 'inc-1')).toEqual({ mark: 2, above: [4, 5] });
    expect(await binarySublevel(db, 'dedup').keys().all()).toEqual(['gw/inc-1']);
    await db.close();
  });

  it('reads a store from before incarnations: its merged seqs stay merged, and its kept messages stay kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-cloud-'));
    const db = new Level<string, Uint8Array>(join(dir, 'cloud.db'), { valueEncoding: 'view' });
    await db.open();
    await db.batch(
      [0, 1, 2].map((seq) => ({
        type: 'put',
        sublevel: binarySublevel(db, 'seen'),
        key: `gw/${sortableKey(seq)}`,
        value: new Uint8Array(0),
      })) as never,
    );
    const { Packr } = await import('msgpackr');
    const old = new Packr({ useRecords: false }).pack({ topic: 't', reason: 'newer', bytes: Buffer.from([1]) });
    await binarySublevel(db, 'newer').put(`${sortableKey(5)}/t/0`, old);
    await db.close();
    const s = await openLevelCloudStore(dir, 'process', 'test');
    const legacy = { incarnation: '', firstSeq: 0, createdAtMs: 1 };
    expect(await s.partitions.apply(partitionTopic('gw'), envelope('gw', 2, [['d', 't', [1]]], fixtureWindow, legacy))).toBe('duplicate');
    expect(await s.partitions.apply(partitionTopic('gw'), envelope('gw', 3, [['d', 't', [1]]], fixtureWindow, legacy))).toBe('merged');
    expect(await s.quarantine.keptNewer()).toMatchObject([{ topic: 't', reason: 'newer' }]);
    await s.close();
  });
});

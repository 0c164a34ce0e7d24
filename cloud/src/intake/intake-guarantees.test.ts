import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binarySublevel, encodeEnvelope, MetricState, type PartitionEnvelope } from '@fogline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { envelope, fixtureWindow, partitionTopic } from '../testing/envelope-fixture.js';
import { legacySeenKey } from './dedup-ledger.js';
import { IntakeStore } from './intake-store.js';

const open: IntakeStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function store(dir = mkdtempSync(join(tmpdir(), 'fogline-cloud-'))) {
  const s = await IntakeStore.open(dir);
  open.push(s);
  return { store: s, dir };
}

const topic = partitionTopic('gw');
const countOf = async (s: IntakeStore, device: string) =>
  (await s.series(device, 't', 0, Number.MAX_SAFE_INTEGER)).reduce((n, p) => n + p.state.count, 0);

describe('IntakeStore guarantees', () => {
  it('merges a reinstalled gateway (same id, a new incarnation starting again at seq 0) and shows the incarnation', async () => {
    const { store: s } = await store();
    const events: string[] = [];
    s.events.on('incarnation', ({ news, incarnation }) => events.push(`${news}:${incarnation}`));
    for (let seq = 0; seq < 3; seq++) expect(await s.apply(topic, envelope('gw', seq, [['d', 't', [1]]]))).toBe('merged');
    const reinstalled = { incarnation: 'inc-2', firstSeq: 0, createdAtMs: fixtureWindow.windowEndMs + 60_000 };
    for (let seq = 0; seq < 3; seq++)
      expect(await s.apply(topic, envelope('gw', seq, [['d', 't', [1]]], fixtureWindow, reinstalled))).toBe('merged');
    expect(await countOf(s, 'd')).toBe(6);
    const [stats] = await s.gatewayList();
    expect(stats.incarnation).toBe('inc-2');
    expect(stats.incarnations?.map((i) => i.id)).toEqual(['inc-1', 'inc-2']);
    expect(events).toEqual(['new:inc-1', 'new:inc-2']);
    expect(stats.incarnationConflict).toBeUndefined();
  });

  it('makes two live incarnations of one gateway id visible as a conflict', async () => {
    const { store: s } = await store();
    const at = (incarnation: string, createdAtMs: number) => ({ incarnation, firstSeq: 0, createdAtMs });
    await s.apply(topic, envelope('gw', 0, [['d', 't', [1]]], fixtureWindow, at('a', 1000)));
    await s.apply(topic, envelope('gw', 0, [['d', 't', [1]]], fixtureWindow, at('b', 2000)));
    // 'a' still creating envelopes after 'b' began: a second process, not a queue draining.
    await s.apply(topic, envelope('gw', 1, [['d', 't', [1]]], fixtureWindow, at('a', 3000)));
    const [stats] = await s.gatewayList();
    expect(stats.incarnationConflict?.incarnations).toEqual(['b', 'a']);
  });

  it('keeps its dedup state bounded: a mark plus the seqs above it, not one key per envelope', async () => {
    const { store: s } = await store();
    for (const seq of [0, 1, 2, 4, 5]) await s.apply(topic, envelope('gw', seq, [['d', 't', [1]]]));
    expect(await s.dedup.read('gw', 'inc-1', 0)).toEqual({ mark: 2, above: [4, 5] });
    await s.apply(topic, envelope('gw', 3, [['d', 't', [1]]]));
    expect(await s.dedup.read('gw', 'inc-1', 0)).toEqual({ mark: 5, above: [] });
    expect(await s.apply(topic, envelope('gw', 4, [['d', 't', [1]]]))).toBe('duplicate');
    expect(await countOf(s, 'd')).toBe(6);
  });

  it('reads a store from before incarnations: its merged seqs stay merged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-cloud-'));
    const first = await IntakeStore.open(dir);
    await first.db.batch(
      [0, 1, 2].map((seq) => ({
        type: 'put',
        sublevel: binarySublevel(first.db, 'seen'),
        key: legacySeenKey('gw', seq),
        value: new Uint8Array(0),
      })) as never,
    );
    await first.close();
    const { store: s } = await store(dir);
    const legacy = { incarnation: '', firstSeq: 0, createdAtMs: 1 };
    expect(await s.apply(topic, envelope('gw', 2, [['d', 't', [1]]], fixtureWindow, legacy))).toBe('duplicate');
    expect(await s.apply(topic, envelope('gw', 3, [['d', 't', [1]]], fixtureWindow, legacy))).toBe('merged');
  });

  it('dead-letters one unreadable record with its reason and merges the rest of the envelope', async () => {
    const { store: s } = await store();
    const good = MetricState.of([[1, fixtureWindow.windowStartMs]]);
    const overflowed = MetricState.of([
      [1e200, fixtureWindow.windowStartMs],
      [-1e200, fixtureWindow.windowStartMs + 1],
    ]);
    const e: PartitionEnvelope = {
      gatewayId: 'gw',
      incarnation: 'inc-1',
      firstSeq: 0,
      seq: 0,
      ...fixtureWindow,
      partition: 0,
      partitionCount: 1,
      createdAtMs: fixtureWindow.windowEndMs,
      records: [
        [['ok-1', 't'], good],
        [['bad', 't'], overflowed],
        [['ok-2', 't'], good],
      ],
    };
    const rejected: string[][] = [];
    s.events.on('recordsRejected', ({ reasons }) => rejected.push(reasons));
    expect(await s.apply(topic, encodeEnvelope(e))).toBe('merged');
    expect(await countOf(s, 'ok-1')).toBe(1);
    expect(await countOf(s, 'ok-2')).toBe(1);
    expect(await countOf(s, 'bad')).toBe(0);
    expect(rejected.flat()).toEqual([expect.stringMatching(/^bad\/t: records\[1\]\.state: .*m2 was/)]);
    expect((await s.deadLetters()).map((d) => d.reason)).toEqual(rejected.flat());
  });

  it('never lets a merge poison a stored rollup: the record that would overflow is left out, the rollup stays finite', async () => {
    const { store: s } = await store();
    // Finite states whose merge overflows: m2 near the top of the double range, in two windows of one hour.
    const near = (startMs: number, seq: number) => {
      const state = MetricState.of([
        [-7e153, startMs],
        [7e153, startMs + 1],
      ]); // m2 9.8e307: finite, twice not
      return encodeEnvelope({
        gatewayId: 'gw',
        incarnation: 'inc-1',
        firstSeq: 0,
        seq,
        windowStartMs: startMs,
        windowEndMs: startMs + 60_000,
        partition: 0,
        partitionCount: 1,
        createdAtMs: startMs + 60_000,
        records: [
          [['big', 't'], state],
          [['small', 't'], MetricState.of([[1, startMs]])],
        ],
      });
    };
    const hour = fixtureWindow.windowStartMs - (fixtureWindow.windowStartMs % 3_600_000);
    for (let w = 0; w < 4; w++) expect(await s.apply(topic, near(hour + w * 60_000, w))).toBe('merged');
    const hours = await s.series('big', 't', 0, Number.MAX_SAFE_INTEGER, 'hour');
    expect(hours.every((p) => p.state.finiteProblem() === undefined)).toBe(true);
    expect(Number.isFinite(hours[0].state.variance)).toBe(true);
    expect((await s.series('small', 't', 0, Number.MAX_SAFE_INTEGER, 'hour'))[0].state.count).toBe(4);
    expect((await s.deadLetters()).some((d) => d.reason.includes('non-finite'))).toBe(true);
  });
});

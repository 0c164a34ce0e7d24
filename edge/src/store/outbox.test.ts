import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricState } from '@fogline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayStore } from './gateway-store.js';
import { Outbox, type UnsequencedEnvelope } from './outbox.js';

const stores: GatewayStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function outbox(bytesMax: number) {
  const store = await GatewayStore.open(mkdtempSync(join(tmpdir(), 'fogline-outbox-')));
  stores.push(store);
  const dropped: number[] = [];
  const box = new Outbox(store, bytesMax, Number.POSITIVE_INFINITY, 0, (_, readings) => dropped.push(readings));
  await box.init();
  return { store, box, dropped };
}

const envelope = (device: string): UnsequencedEnvelope => ({
  gatewayId: 'gw',
  windowStartMs: 0,
  windowEndMs: 60_000,
  partition: 0,
  partitionCount: 1,
  createdAtMs: 1,
  records: [[[device, 'x'], MetricState.of([[1, 1]])]],
});

async function write(store: GatewayStore, box: Outbox, devices: string[]) {
  box.begin();
  await store.write(await box.partitionOperations(devices.map(envelope)));
  box.commit();
}

describe('Outbox', () => {
  it('never drops a record the uplink has read to send, and never hands out one it dropped', async () => {
    const { store, box, dropped } = await outbox(1);
    const reserved = new Set<string>();
    box.keeps = (id) => reserved.has(id);
    await write(store, box, ['a']);
    // The uplink reads 'a' and is about to send it (waiting for bandwidth, say).
    const [record] = await box.next(10, reserved);
    expect(record.id).toBe('partition:0000000000000000/0');
    // The outbox is over its budget: making room must not drop what the uplink holds.
    await write(store, box, ['b']);
    expect(dropped).toEqual([]);
    // Unreserved, 'a' may go: then the uplink never gets it again, and the drop is counted once.
    reserved.clear();
    await write(store, box, ['c']);
    expect(dropped).toEqual([1, 1]);
    expect(box.wasDropped(record.id)).toBe(true);
    expect((await box.next(10, new Set())).map((r) => r.seq)).toEqual([2]);
  });

  it('undoes a write that failed: its seqs are handed out again, its drops were not drops', async () => {
    const { store, box, dropped } = await outbox(1);
    await write(store, box, ['a']);
    box.begin();
    await box.partitionOperations([envelope('b')]); // would drop 'a'
    box.rollback();
    expect(dropped).toEqual([]);
    expect(box.nextSeq).toBe(1);
    expect(box.wasDropped('partition:0000000000000000/0')).toBe(false);
    await write(store, box, ['b']);
    expect(dropped).toEqual([1]);
    expect((await box.next(10, new Set())).map((r) => r.seq)).toEqual([1]);
  });
});

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { devicesPerNodeMax, SparkplugNodes } from './sparkplug-nodes.js';
import { decodeSparkplugPayload, encodeRebirthRequest } from './sparkplug-payload.js';

// Eclipse Tahu's own JavaScript encoder: payloads built independently of fogline's decoder.
const tahu = (createRequire(import.meta.url)('sparkplug-payload') as { get(ns: string): Tahu }).get('spBv1.0');
interface Tahu {
  encodePayload(payload: object): Uint8Array;
  decodePayload(bytes: Uint8Array): { metrics: { name: string; value: unknown }[] };
}

const limits = { readingsPerMessageMax: 1000, futureSkewMsMax: 5 * 60_000, valueAbsMax: 1e100 };
const nowMs = Date.UTC(2026, 11, 2, 12);

function nodes() {
  const rebirths: string[] = [];
  let gaps = 0;
  const sparkplug = new SparkplugNodes({
    requestRebirth: (group, node) => rebirths.push(`${group}/${node}`),
    seqGap: () => gaps++,
    nodeForgotten: () => {},
  });
  const send = (topic: string, payload: object, clientId = 'press-line-1') =>
    sparkplug.handle(topic, Buffer.from(tahu.encodePayload(payload)), clientId, nowMs, limits);
  const readings = (outcome: ReturnType<typeof send>) =>
    outcome.kind === 'decoded' ? outcome.decoded.readings.map((r) => [r.deviceId, r.metric, r.value, r.ts]) : outcome;
  return { sparkplug, send, readings, rebirths, gaps: () => gaps };
}

const birthTs = nowMs - 60_000;
const nbirth = {
  timestamp: birthTs,
  seq: 0,
  metrics: [
    { name: 'bdSeq', type: 'UInt64', value: 3 },
    { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
    { name: 'Properties/Hardware Make', type: 'String', value: 'Raspberry Pi' },
    { name: 'Supply/Voltage', alias: 1, type: 'Float', value: 24.25 },
    { name: 'Uptime', alias: 2, type: 'Int64', value: 3600 },
  ],
};
const dbirth = {
  timestamp: birthTs,
  seq: 1,
  metrics: [
    { name: 'Inputs/Temperature 1', alias: 10, type: 'Double', value: 61.5 },
    { name: 'Inputs/Running', alias: 11, type: 'Boolean', value: true },
    { name: 'Outputs/Setpoint', alias: 12, type: 'Int16', value: -40 },
  ],
};

describe('Sparkplug B from an edge node (payloads encoded by Eclipse Tahu)', () => {
  it('reads births by name, data by the aliases the births gave, signed integers and booleans, and leaves out control and text', () => {
    const { send, readings, rebirths } = nodes();
    expect(readings(send('spBv1.0/plant-a/NBIRTH/press-line-1', nbirth))).toEqual([
      ['press-line-1', 'Supply.Voltage', 24.25, birthTs],
      ['press-line-1', 'Uptime', 3600, birthTs],
    ]);
    expect(readings(send('spBv1.0/plant-a/DBIRTH/press-line-1/press-3', dbirth))).toEqual([
      ['press-line-1:press-3', 'Inputs.Temperature_1', 61.5, birthTs],
      ['press-line-1:press-3', 'Inputs.Running', 1, birthTs],
      ['press-line-1:press-3', 'Outputs.Setpoint', -40, birthTs],
    ]);
    const dataTs = nowMs - 1000;
    expect(
      readings(
        send('spBv1.0/plant-a/DDATA/press-line-1/press-3', {
          timestamp: dataTs,
          seq: 2,
          metrics: [
            { alias: 10, type: 'Double', value: 63.25, timestamp: dataTs - 500 },
            { alias: 11, type: 'Boolean', value: false },
          ],
        }),
      ),
    ).toEqual([
      ['press-line-1:press-3', 'Inputs.Temperature_1', 63.25, dataTs - 500],
      ['press-line-1:press-3', 'Inputs.Running', 0, dataTs],
    ]);
    expect(rebirths).toEqual([]);
  });

  it('counts a seq gap and asks for a rebirth; data by an alias no birth named is dead-lettered and asks too (once per interval)', () => {
    const { send, readings, rebirths, gaps } = nodes();
    send('spBv1.0/plant-a/NBIRTH/press-line-1', nbirth);
    // seq 1 and 2 lost: this is 3.
    expect(
      readings(
        send('spBv1.0/plant-a/NDATA/press-line-1', { timestamp: nowMs, seq: 3, metrics: [{ alias: 1, type: 'Float', value: 23.5 }] }),
      ),
    ).toEqual([['press-line-1', 'Supply.Voltage', 23.5, nowMs]]);
    expect(gaps()).toBe(1);
    expect(rebirths).toEqual(['plant-a/press-line-1']);
    const unknown = send('spBv1.0/plant-a/NDATA/press-line-1', {
      timestamp: nowMs,
      seq: 4,
      metrics: [{ alias: 99, type: 'Float', value: 1 }],
    });
    expect(unknown).toEqual({
      kind: 'decoded',
      decoded: { readings: [], problems: ['sparkplug NDATA: 1 metric(s) by an alias no birth named; rebirth requested'] },
    });
    expect(rebirths).toHaveLength(1); // asked once; the node has its interval to answer
  });

  it('marks a node and its devices offline on death, refuses a client speaking for another node, and ignores host messages', () => {
    const { sparkplug, send } = nodes();
    send('spBv1.0/plant-a/NBIRTH/press-line-1', nbirth);
    send('spBv1.0/plant-a/DBIRTH/press-line-1/press-3', dbirth);
    send('spBv1.0/plant-a/DBIRTH/press-line-1/press-4', { ...dbirth, seq: 2 });
    expect(send('spBv1.0/plant-a/DDEATH/press-line-1/press-4', { timestamp: nowMs, seq: 3 })).toEqual({ kind: 'ignored' });
    expect(sparkplug.list()).toEqual([
      {
        group: 'plant-a',
        node: 'press-line-1',
        online: true,
        seqGaps: 0,
        devices: [
          { device: 'press-3', online: true },
          { device: 'press-4', online: false },
        ],
      },
    ]);
    send('spBv1.0/plant-a/NDEATH/press-line-1', { timestamp: nowMs, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] });
    expect(sparkplug.list()[0]).toMatchObject({ online: false, devices: [{ online: false }, { online: false }] });
    expect(send('spBv1.0/plant-a/NBIRTH/press-line-2', nbirth)).toEqual({
      kind: 'refused',
      reason: 'sparkplug: press-line-1 may not publish for edge node press-line-2 (list it in sparkplug.clients to let a relay do so)',
    });
    expect(send('spBv1.0/STATE/scada-host', { online: true })).toEqual({ kind: 'ignored' });
    expect(
      sparkplug.handle('spBv1.0/plant-a/NDATA/press-line-1', Buffer.from('not protobuf at all'), 'press-line-1', nowMs, limits),
    ).toMatchObject({
      kind: 'decoded',
      decoded: { problems: [expect.stringMatching(/^sparkplug NDATA: not a Sparkplug B payload/)] },
    });
  });

  it('holds at most devicesPerNodeMax devices per node: one more DBIRTH is refused, naming the bound', () => {
    const { sparkplug, send } = nodes();
    send('spBv1.0/plant-a/NBIRTH/press-line-1', nbirth);
    const birth = Buffer.from(
      tahu.encodePayload({ timestamp: birthTs, metrics: [{ name: 'Inputs/Running', type: 'Boolean', value: true }] }),
    );
    for (let i = 0; i < devicesPerNodeMax; i++)
      sparkplug.handle(`spBv1.0/plant-a/DBIRTH/press-line-1/d${i}`, birth, 'press-line-1', nowMs, limits);
    expect(sparkplug.handle('spBv1.0/plant-a/DBIRTH/press-line-1/one-more', birth, 'press-line-1', nowMs, limits)).toEqual({
      kind: 'decoded',
      decoded: {
        readings: [],
        problems: [`sparkplug DBIRTH: edge node press-line-1 has ${devicesPerNodeMax} devices already, the most one node may have`],
      },
    });
    expect(sparkplug.list()[0].devices).toHaveLength(devicesPerNodeMax);
  });

  it('the rebirth request is a payload Tahu reads as Node Control/Rebirth = true', () => {
    const decoded = tahu.decodePayload(encodeRebirthRequest(nowMs));
    expect(decoded.metrics.map((m) => [m.name, m.value])).toEqual([['Node Control/Rebirth', true]]);
    expect(decodeSparkplugPayload(encodeRebirthRequest(nowMs)).metrics[0]).toMatchObject({ name: 'Node Control/Rebirth', value: 1 });
  });
});

import { deserialize, serialize } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { RddContext } from '../rdd/index.js';
import type { DStream } from './dstream.js';
import type { EventTimeResult } from './event-time-windowed-dstream.js';
import { StreamingContext } from './streaming-context.js';

const contexts: RddContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.stop()));
});

/** A context on a clock the test moves, one batch per tick(). */
function streaming(batchMs = 1000, startMs = 0) {
  const rdd = new RddContext({ defaultParallelism: 2 });
  contexts.push(rdd);
  let now = startMs;
  const ssc = new StreamingContext(rdd, batchMs, { now: () => now });
  const tick = async () => {
    now += batchMs;
    await ssc.runBatch(now);
  };
  return { ssc, tick, now: () => now };
}

const sorted = <T>(xs: T[]) => xs.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** Every batch's elements, sorted, as the output operation saw them. */
function collect<T>(stream: DStream<T>): T[][] {
  const out: T[][] = [];
  stream.foreachRDD(async (rdd) => {
    out.push(sorted(await rdd.collect()));
  });
  return out;
}

describe('DStream operators (Spark Streaming API)', () => {
  it('transform runs any RDD function per batch, with the batch time', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<number>();
    const out = collect(input.transform((rdd, timeMs) => rdd.distinct().map((n) => n * 1000 + timeMs)));
    input.push([1, 1, 2]);
    await tick();
    input.push([3]);
    await tick();
    expect(out).toEqual([[2000 + 1000, 1000 + 1000], [3000 + 2000]].map(sorted));
  });

  it('union (on a stream and on the context) holds every element of every stream', async () => {
    const { ssc, tick } = streaming();
    const a = ssc.queueStream<string>();
    const b = ssc.queueStream<string>();
    const c = ssc.queueStream<string>();
    const out = collect(a.union(b));
    const all = collect(ssc.union([a, b, c]));
    a.push(['a1', 'a2']);
    b.push(['b1']);
    c.push(['c1']);
    await tick();
    expect(out).toEqual([['a1', 'a2', 'b1']]);
    expect(all).toEqual([['a1', 'a2', 'b1', 'c1']]);
    expect(() => ssc.union([])).toThrow('union: expected at least one stream');
    expect(() => a.union(a.window(2000, 2000))).toThrow(/slide every 1000, 2000 ms/);
  });

  it('join, the outer joins and cogroup pair the batches of two keyed streams', async () => {
    const { ssc, tick } = streaming();
    const readings = ssc.queueStream<[string, number]>();
    const setpoints = ssc.queueStream<[string, number]>();
    const joined = collect(readings.join(setpoints));
    const left = collect(readings.leftOuterJoin(setpoints));
    const right = collect(readings.rightOuterJoin(setpoints));
    const full = collect(readings.fullOuterJoin(setpoints));
    const grouped = collect(readings.cogroup(setpoints).mapValues(([r, s]) => [sorted(r), s]));
    readings.push([
      ['atm-1', 30],
      ['atm-1', 31],
      ['atm-2', 25],
    ]);
    setpoints.push([
      ['atm-1', 28],
      ['atm-3', 20],
    ]);
    await tick();
    expect(joined).toEqual([
      [
        ['atm-1', [30, 28]],
        ['atm-1', [31, 28]],
      ],
    ]);
    expect(left[0]).toEqual(
      sorted([
        ['atm-1', [30, 28]],
        ['atm-1', [31, 28]],
        ['atm-2', [25, null]],
      ]),
    );
    expect(right[0]).toEqual(
      sorted([
        ['atm-1', [30, 28]],
        ['atm-1', [31, 28]],
        ['atm-3', [null, 20]],
      ]),
    );
    expect(full[0]).toHaveLength(4);
    expect(grouped[0]).toEqual(
      sorted([
        ['atm-1', [[30, 31], [28]]],
        ['atm-2', [[25], []]],
        ['atm-3', [[], [20]]],
      ]),
    );
    // Batches pair by time: the next batch joins nothing from the first.
    setpoints.push([['atm-2', 24]]);
    await tick();
    expect(joined[1]).toEqual([]);
    expect(right[1]).toEqual([['atm-2', [null, 24]]]);
  });

  it('transformWith applies one function to two streams; count, reduce and countByValue per batch', async () => {
    const { ssc, tick } = streaming();
    const a = ssc.queueStream<number>();
    const b = ssc.queueStream<number>();
    const sums = collect(a.transformWith(b, (x, y) => x.cartesian(y).map(([i, j]) => i + j)));
    const counts = collect(a.count());
    const maxima = collect(a.reduce((x, y) => Math.max(x, y)));
    const byValue = collect(a.countByValue());
    a.push([1, 2, 2]);
    b.push([10]);
    await tick();
    await tick(); // an empty batch: count 0, no maximum
    expect(sums).toEqual([[11, 12, 12], []]);
    expect(counts).toEqual([[3], [0]]);
    expect(maxima).toEqual([[2], []]);
    expect(byValue).toEqual([
      [
        [1, 1],
        [2, 2],
      ],
      [],
    ]);
  });

  it('reduceByWindow gives the same values with and without the inverse function, sliding as asked', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<number>();
    const plain = collect(input.reduceByWindow((a, b) => a + b, undefined, 3000, 1000));
    const incremental = collect(
      input.reduceByWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        3000,
        1000,
      ),
    );
    const slow = collect(
      input.reduceByWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        4000,
        2000,
      ),
    );
    for (const batch of [[1, 2], [3], [], [4], [5, 6]]) {
      input.push(batch);
      await tick();
    }
    expect(plain).toEqual([[3], [6], [6], [7], [15]]);
    expect(incremental).toEqual(plain);
    // Every 2 s over the last 4 s: at 2 s, 1 + 2 + 3; at 4 s, 1 + 2 + 3 + 4.
    expect(slow).toEqual([[6], [10]]);
  });

  it('aggregateByEventTime emits each tumbling window once the watermark passes it, and drops what comes later', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<{ device: string; ts: number; value: number }>();
    const windows = input.aggregateByEventTime({
      eventTimeOf: (r) => r.ts,
      keyOf: (r) => r.device,
      window: { kind: 'tumbling', sizeMs: 60_000 },
      allowedLatenessMs: 10_000,
      zero: () => ({ n: 0, sum: 0 }),
      add: (a, r) => ({ n: a.n + 1, sum: a.sum + r.value }),
    });
    const out = collect(windows.map((w) => [w.key, w.window.startMs, w.value.n, w.value.sum]));
    // Out of order within the lateness: both count. Devices are not in lockstep.
    input.push([
      { device: 'a', ts: 5_000, value: 1 },
      { device: 'b', ts: 50_000, value: 10 },
      { device: 'a', ts: 2_000, value: 2 },
    ]);
    await tick();
    expect(out).toEqual([[]]);
    // Event time reaches 70 s: the watermark (60 s) closes [0, 60 s).
    input.push([{ device: 'a', ts: 70_000, value: 3 }]);
    await tick();
    expect(out[1]).toEqual([
      ['a', 0, 2, 3],
      ['b', 0, 1, 10],
    ]);
    // Too late for [0, 60 s): dropped and counted, never a second result for a closed window.
    input.push([{ device: 'b', ts: 30_000, value: 99 }]);
    await tick();
    expect(out[2]).toEqual([]);
    expect(windows.lateItems).toBe(1);
    expect(windows.watermark).toBe(60_000);
  });

  it('aggregateByEventTime slides windows, merges session windows an item bridges, and closes the oldest early at its maximum', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<number>();
    const sum = { zero: () => 0, add: (a: number, ts: number) => a + ts / 1000, merge: (a: number, b: number) => a + b };
    const sliding = collect(
      input
        .aggregateByEventTime({
          eventTimeOf: (ts) => ts,
          keyOf: () => 'k',
          window: { kind: 'sliding', sizeMs: 20_000, slideMs: 10_000 },
          allowedLatenessMs: 0,
          ...sum,
        })
        .map((w) => [w.window.startMs, w.value]),
    );
    const sessions = collect(
      input
        .aggregateByEventTime({
          eventTimeOf: (ts) => ts,
          keyOf: () => 'k',
          window: { kind: 'session', gapMs: 15_000 },
          allowedLatenessMs: 20_000,
          ...sum,
        })
        .map((w) => [w.window.startMs, w.window.endMs, w.value]),
    );
    const bounded = input.aggregateByEventTime({
      eventTimeOf: (ts) => ts,
      keyOf: (ts) => ts,
      window: { kind: 'tumbling', sizeMs: 1000 },
      allowedLatenessMs: 1_000_000,
      openWindowsMax: 2,
      ...sum,
    });
    const early = collect(bounded.map((w) => [w.key, w.early]));
    // 1 s and 25 s are two sessions; 14 s bridges them (each within the 15 s gap).
    input.push([1_000, 25_000]);
    await tick();
    input.push([14_000]);
    await tick();
    input.push([60_000]);
    await tick();
    // With no lateness allowed, [0, 20 s) closed when event time reached 25 s: 14 s came too
    // late for it, and counts only in [10 s, 30 s).
    expect(sliding.flat()).toEqual([
      [-10_000, 1],
      [0, 1],
      [10_000, 39],
      [20_000, 25],
    ]);
    expect(sessions.flat()).toEqual([[1_000, 40_000, 40]]);
    expect(early.flat()).toEqual([
      [1_000, true],
      [14_000, true],
    ]);
    expect(bounded.closedEarly).toBe(2);
    expect(() =>
      input.aggregateByEventTime({
        eventTimeOf: (ts) => ts,
        keyOf: () => 'k',
        window: { kind: 'session', gapMs: 1000 },
        allowedLatenessMs: 0,
        zero: () => 0,
        add: (a) => a,
      }),
    ).toThrow('session windows need merge');
  });
});

describe('checkpoints of stateful streams', () => {
  /** The same job, as a gateway would build it again after a restart. */
  function job(ssc: StreamingContext) {
    const input = ssc.queueStream<[string, number]>();
    const totals = collect(
      input.updateStateByKey<string, number, number>((values, total = 0) => total + values.reduce((a, b) => a + b, 0)),
    );
    const windowed = collect(
      input.reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        3000,
        1000,
        (v) => v !== 0,
      ),
    );
    const seen = collect(
      input.mapWithState<string, number, number, [string, number]>({
        func: (key, _value, state) => {
          const next = (state.state ?? 0) + 1;
          state.update(next);
          return [key, next];
        },
      }),
    );
    const minutes = collect(
      input
        .map(([device, ts]) => ({ device, ts }))
        .aggregateByEventTime({
          eventTimeOf: (r) => r.ts,
          keyOf: (r) => r.device,
          window: { kind: 'tumbling', sizeMs: 60_000 },
          allowedLatenessMs: 0,
          zero: () => 0,
          add: (n) => n + 1,
        })
        .map((w: EventTimeResult<string, number>) => [w.key, w.window.startMs, w.value]),
    );
    return { input, totals, windowed, seen, minutes };
  }

  it('a job restored from a checkpoint (through v8 serialize) goes on exactly as one that never stopped', async () => {
    const batches: [string, number][][] = [
      [
        ['a', 1_000],
        ['b', 2_000],
      ],
      [['a', 3_000]],
      [['b', 61_000]],
      [
        ['a', 62_000],
        ['a', 63_000],
      ],
      [['b', 125_000]],
    ];
    // The oracle: one job through every batch.
    const whole = streaming();
    const straight = job(whole.ssc);
    for (const batch of batches) {
      straight.input.push(batch);
      await whole.tick();
    }
    // Two lives: three batches, a checkpoint, then a new context and job restored from it.
    const first = streaming();
    const before = job(first.ssc);
    for (const batch of batches.slice(0, 3)) {
      before.input.push(batch);
      await first.tick();
    }
    const saved = serialize(first.ssc.checkpoint());
    const second = streaming(1000, first.now());
    const after = job(second.ssc);
    second.ssc.restore(deserialize(saved));
    for (const batch of batches.slice(3)) {
      after.input.push(batch);
      await second.tick();
    }
    for (const name of ['totals', 'windowed', 'seen', 'minutes'] as const)
      expect([...before[name], ...after[name]], name).toEqual(straight[name]);
    expect(straight.minutes.flat()).toEqual([
      ['a', 0, 2],
      ['b', 0, 1],
      ['a', 60_000, 2],
      ['b', 60_000, 1],
    ]);
  });

  it('refuses a checkpoint for a job built differently', () => {
    const { ssc } = streaming();
    ssc.queueStream<[string, number]>().updateStateByKey<string, number, number>((v, s = 0) => s + v.length);
    const saved = ssc.checkpoint();
    const other = streaming().ssc;
    expect(() => other.restore(saved)).toThrow('checkpoint: stream 1 has state, but this job has 0 streams: is it built the same way?');
  });
});

describe('StreamingContext.start', () => {
  it('counts, reports and survives a failing batch instead of swallowing it', async () => {
    const rdd = new RddContext({ defaultParallelism: 1 });
    contexts.push(rdd);
    const ssc = new StreamingContext(rdd, 20);
    const input = ssc.queueStream<number>();
    const seen: number[] = [];
    input.foreachRDD(async (batch) => {
      for (const n of await batch.collect()) {
        if (n < 0) throw new Error(`negative reading ${n}`);
        seen.push(n);
      }
    });
    const reported: string[] = [];
    ssc.start((error) => reported.push(error.message));
    input.push([-1]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    input.push([7]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await ssc.stop();
    expect(reported).toEqual(['negative reading -1']);
    expect(ssc.batchesFailed).toBe(1);
    expect(ssc.lastError?.message).toBe('negative reading -1');
    expect(seen).toEqual([7]);
  });
});

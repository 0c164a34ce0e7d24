import { afterEach, describe, expect, it } from 'vitest';
import { RddContext } from '../rdd/index.js';
import { StreamingContext } from './streaming-context.js';

const contexts: RddContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.stop()));
});

function streaming(batchMs = 1000) {
  const rdd = new RddContext({ defaultParallelism: 2 });
  contexts.push(rdd);
  let now = 0;
  const ssc = new StreamingContext(rdd, batchMs, { now: () => now });
  const tick = async () => {
    now += batchMs;
    await ssc.runBatch(now);
  };
  return { ssc, tick };
}

const sorted = <T>(xs: T[]) => xs.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe('DStreams', () => {
  it('runs map, filter, flatMap, mapValues and reduceByKey per batch', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<string>();
    const out: [string, number][][] = [];
    input
      .flatMap((line) => line.split(' '))
      .filter((w) => w !== 'x')
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .mapValues((n) => n * 10)
      .foreachRDD(async (rdd) => {
        out.push(sorted(await rdd.collect()));
      });
    input.push(['a b a', 'x b']);
    await tick();
    input.push(['c']);
    await tick();
    await tick();
    expect(out).toEqual([
      [
        ['a', 20],
        ['b', 20],
      ],
      [['c', 10]],
      [],
    ]);
  });

  it('windows and reduceByKeyAndWindow give the same sums with and without the inverse function', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<[string, number]>();
    const plain: [string, number][][] = [];
    const incremental: [string, number][][] = [];
    const counts: number[] = [];
    input
      .reduceByKeyAndWindow((a, b) => a + b, undefined, 3000, 1000)
      .foreachRDD(async (rdd) => {
        plain.push(sorted(await rdd.collect()));
      });
    input
      .reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        3000,
        1000,
        (v) => v !== 0,
      )
      .foreachRDD(async (rdd) => {
        incremental.push(sorted(await rdd.collect()));
      });
    input.countByWindow(2000, 1000).foreachRDD(async (rdd) => {
      counts.push((await rdd.collect())[0] ?? 0);
    });
    const batches: [string, number][][] = [
      [['a', 1]],
      [
        ['a', 2],
        ['b', 5],
      ],
      [],
      [['b', 1]],
      [],
      [],
    ];
    for (const batch of batches) {
      input.push(batch);
      await tick();
    }
    expect(plain).toEqual([
      [['a', 1]],
      [
        ['a', 3],
        ['b', 5],
      ],
      [
        ['a', 3],
        ['b', 5],
      ],
      [
        ['a', 2],
        ['b', 6],
      ],
      [['b', 1]],
      [['b', 1]],
    ]);
    expect(incremental).toEqual(plain);
    expect(counts).toEqual([1, 3, 2, 1, 1, 0]);
  });

  it('slides a window every slideMs only', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<number>();
    const sums: number[] = [];
    input.window(2000, 2000).foreachRDD(async (rdd) => {
      sums.push(await rdd.sum());
    });
    for (const n of [1, 2, 3, 4]) {
      input.push([n]);
      await tick();
    }
    expect(sums).toEqual([3, 7]);
    expect(() => input.window(1500)).toThrow('windowMs was 1500, expected a positive multiple of the batch interval (1000)');
  });

  it('updateStateByKey keeps running state and forgets keys on undefined', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<[string, number]>();
    const out: [string, number][][] = [];
    input
      .updateStateByKey<string, number, number>((values, total) => {
        const next = (total ?? 0) + values.reduce((a, b) => a + b, 0);
        return next > 10 ? undefined : next;
      })
      .foreachRDD(async (rdd) => {
        out.push(sorted(await rdd.collect()));
      });
    input.push([
      ['a', 1],
      ['b', 4],
    ]);
    await tick();
    input.push([
      ['a', 2],
      ['b', 9],
    ]);
    await tick();
    input.push([['b', 1]]);
    await tick();
    expect(out).toEqual([
      [
        ['a', 1],
        ['b', 4],
      ],
      [['a', 3]],
      [['b', 1]],
    ]);
  });

  it('mapWithState calls timed-out keys once more, then forgets them', async () => {
    const { ssc, tick } = streaming();
    const input = ssc.queueStream<[string, number]>();
    const out: string[] = [];
    input
      .mapWithState<string, number, number, string>({
        timeoutMs: 2000,
        func: (key, value, state) => {
          if (state.isTimingOut()) return `${key} timed out at ${state.state}`;
          const next = (state.state ?? 0) + (value ?? 0);
          state.update(next);
          return `${key}=${next}`;
        },
      })
      .foreachRDD(async (rdd) => {
        out.push(...(await rdd.collect()));
      });
    input.push([
      ['dev', 1],
      ['dev', 2],
    ]);
    await tick();
    await tick();
    await tick();
    await tick();
    expect(out).toEqual(['dev=1', 'dev=3', 'dev timed out at 3']);
  });

  it('bounds the input queue and counts what it refuses', async () => {
    const { ssc } = streaming();
    const input = ssc.queueStream<number>(3);
    expect(input.push([1, 2, 3, 4, 5])).toBe(3);
    expect(input.refused).toBe(2);
  });
});

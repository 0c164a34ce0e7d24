import { describe, expect, it } from 'vitest';
import { RddContext, RddError } from './internal.js';

describe('a record a user function throws on', () => {
  it('fails the job when the context sets no policy, naming the step', async () => {
    const ctx = new RddContext({ defaultParallelism: 2 });
    const job = ctx.parallelize([1, 2, 0, 4]).map((x) => {
      if (x === 0) throw new Error('division by zero');
      return 12 / x;
    });
    await expect(job.collect()).rejects.toThrow(/map failed in .*division by zero/);
    await ctx.stop();
  });

  it('is handed to onRecordError and skipped; its neighbours, before and after it and in later steps, go on', async () => {
    const failed: [string, unknown][] = [];
    const ctx = new RddContext({ defaultParallelism: 2, onRecordError: (error, record) => failed.push([error.message, record]) });
    const result = await ctx
      .parallelize([1, 2, 0, 4, -1, 6])
      .map((x) => {
        if (x === 0) throw new Error('division by zero');
        return 12 / x;
      })
      .filter((y) => {
        if (y < 0) throw new Error(`negative ${y}`);
        return true;
      })
      .map((y): [string, number] => [y > 5 ? 'big' : 'small', y])
      .reduceByKey((a, b) => a + b)
      .collectAsMap();
    expect(result).toEqual(
      new Map([
        ['big', 12 + 6],
        ['small', 3 + 2],
      ]),
    );
    expect(failed).toEqual([
      [expect.stringMatching(/map failed in .*division by zero/), 0],
      [expect.stringMatching(/filter failed in .*negative -12/), -12],
    ]);
    await ctx.stop();
  });

  it('still fails the job when a shuffle reduce function throws: it holds no single record', async () => {
    const ctx = new RddContext({ defaultParallelism: 1, onRecordError: () => {} });
    const job = ctx
      .parallelize<[string, number]>([
        ['a', 1],
        ['a', 2],
      ])
      .reduceByKey(() => {
        throw new Error('bad reduce');
      });
    await expect(job.collect()).rejects.toBeInstanceOf(RddError);
    await ctx.stop();
  });
});

describe('combineByKey', () => {
  it('gives createCombiner the key, so a combiner can start from a state kept elsewhere', async () => {
    const ctx = new RddContext({ defaultParallelism: 2 });
    const store = new Map<string, { total: number }>([['a', { total: 100 }]]);
    const stateOf = (key: string) => {
      const state = store.get(key) ?? { total: 0 };
      store.set(key, state);
      return state;
    };
    const combined = await ctx
      .parallelize<[string, number]>([
        ['a', 1],
        ['b', 2],
        ['a', 3],
        ['b', 4],
      ])
      .combineByKey(
        (value, key) => {
          const state = stateOf(key);
          state.total += value;
          return state;
        },
        (state, value) => {
          state.total += value;
          return state;
        },
        (a, b) => (a === b ? a : { total: a.total + b.total }),
        1,
      )
      .collectAsMap();
    expect(combined.get('a')?.total).toBe(104);
    expect(store.get('a')?.total).toBe(104);
    expect(store.get('b')?.total).toBe(6);
    await ctx.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { StorageLevel } from './internal.js';
import { testContext } from './test-context.js';

function counted(ctx: ReturnType<typeof testContext>, n = 10) {
  const calls = { count: 0 };
  const rdd = ctx.range(n, undefined, 1, 2).map((x) => {
    calls.count++;
    return x * 2;
  });
  return { rdd, calls };
}

describe('persistence', () => {
  it('cache() makes a second action skip recomputation', async () => {
    const ctx = testContext();
    const { rdd, calls } = counted(ctx);
    expect(rdd.cache()).toBe(rdd);
    expect(await rdd.sum()).toBe(90);
    expect(calls.count).toBe(10);
    expect(await rdd.count()).toBe(10);
    expect(calls.count).toBe(10);
  });

  it('a cached RDD inside a streamed chain is read from the cache, not recomputed', async () => {
    const ctx = testContext();
    const { rdd, calls } = counted(ctx);
    rdd.cache();
    const pairs = rdd.map((x): [number, number] => [x % 3, x]).filter(([, v]) => v >= 0);
    const first = await pairs.reduceByKey((a, b) => a + b).collectAsMap();
    const second = await pairs.reduceByKey((a, b) => a + b).collectAsMap();
    expect(second).toEqual(first);
    expect(calls.count).toBe(10);
  });

  it('without persistence every action recomputes', async () => {
    const ctx = testContext();
    const { rdd, calls } = counted(ctx);
    await rdd.count();
    await rdd.count();
    expect(calls.count).toBe(20);
  });

  it('reports NONE until persisted, MEMORY_ONLY by default, and refuses a level change until unpersist', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([1, 2]);
    expect(rdd.getStorageLevel()).toBe(StorageLevel.NONE);
    expect(rdd.persist()).toBe(rdd);
    expect(rdd.getStorageLevel()).toBe(StorageLevel.MEMORY_ONLY);
    expect(rdd.persist(StorageLevel.MEMORY_ONLY)).toBe(rdd);
    expect(() => rdd.persist(StorageLevel.DISK_ONLY)).toThrow(/Cannot change storage level/);
    rdd.unpersist();
    expect(rdd.getStorageLevel()).toBe(StorageLevel.NONE);
    expect(rdd.persist(StorageLevel.DISK_ONLY).getStorageLevel()).toBe(StorageLevel.DISK_ONLY);
    expect(rdd.setName('named')).toBe(rdd);
    expect(rdd.name()).toBe('named');
  });

  it('unpersist drops the stored copy, so the next action recomputes', async () => {
    const ctx = testContext();
    const { rdd, calls } = counted(ctx);
    rdd.cache();
    await rdd.count();
    rdd.unpersist();
    await rdd.count();
    expect(calls.count).toBe(20);
  });

  it('DISK_ONLY and MEMORY_AND_DISK survive dropping the in-memory copy; MEMORY_ONLY recomputes', async () => {
    for (const [level, recomputes] of [
      [StorageLevel.DISK_ONLY, false],
      [StorageLevel.MEMORY_AND_DISK, false],
      [StorageLevel.MEMORY_ONLY, true],
    ] as const) {
      const ctx = testContext();
      const { rdd, calls } = counted(ctx);
      rdd.persist(level);
      expect(await rdd.collect()).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      ctx.blockManager.evictMemory();
      expect(await rdd.collect()).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      expect(calls.count).toBe(recomputes ? 20 : 10);
    }
  });

  it('keeps Maps and nested values on disk', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([{ id: 'a', tags: new Map([['site', 'x']]) }]).persist(StorageLevel.DISK_ONLY);
    await rdd.count();
    expect(await rdd.collect()).toEqual([{ id: 'a', tags: new Map([['site', 'x']]) }]);
    expect(ctx.metrics.blockDiskHits).toBe(rdd.getNumPartitions());
  });

  it('evicts least recently used blocks at memoryStoreRecordsMax, counting them', async () => {
    const ctx = testContext({ memoryStoreRecordsMax: 10 });
    const a = ctx.range(8, undefined, 1, 1).cache();
    const b = ctx.range(8, undefined, 1, 1).cache();
    await a.count();
    await b.count();
    expect(ctx.metrics.memoryBlocksEvicted).toBe(1);
    expect(ctx.blockManager.memoryRecordsHeld).toBe(8);
    const big = ctx.range(11, undefined, 1, 1).cache();
    expect(await big.count()).toBe(11);
    expect(ctx.metrics.memoryBlocksRefused).toBe(1);
  });

  it('refuses disk writes past diskStoreBytesMax and recomputes instead, counting the refusals', async () => {
    const ctx = testContext({ diskStoreBytesMax: 64 });
    const { rdd, calls } = counted(ctx, 100);
    rdd.persist(StorageLevel.DISK_ONLY);
    expect(await rdd.count()).toBe(100);
    expect(await rdd.count()).toBe(100);
    expect(calls.count).toBe(200);
    expect(ctx.metrics.diskBlocksRefused).toBe(4);
  });

  it('checkpoint() saves the partitions and shortens the lineage that toDebugString shows', async () => {
    const ctx = testContext();
    const calls = { count: 0 };
    const rdd = ctx
      .parallelize<[string, number]>(
        [
          ['a', 1],
          ['b', 2],
          ['a', 3],
        ],
        2,
      )
      .reduceByKey((x, y) => x + y)
      .mapValues((v) => {
        calls.count++;
        return v * 10;
      });
    const before = rdd.toDebugString();
    expect(before).toContain('ShuffledRDD');
    rdd.checkpoint();
    expect(rdd.isCheckpointed()).toBe(false);
    const result = await rdd.collect();
    expect(rdd.isCheckpointed()).toBe(true);
    const after = rdd.toDebugString();
    expect(after.split('\n').length).toBeLessThan(before.split('\n').length);
    expect(after).toContain('CheckpointRDD');
    expect(after).not.toContain('ShuffledRDD');
    const callsAfterCheckpoint = calls.count;
    expect(await rdd.collect()).toEqual(result);
    expect(calls.count).toBe(callsAfterCheckpoint);
    expect(rdd.getNumPartitions()).toBe(2);
  });

  it('toDebugString shows shuffle boundaries and storage levels as Spark does', () => {
    const ctx = testContext();
    const rdd = ctx
      .parallelize<[string, number]>([['a', 1]], 2)
      .map(([k, v]) => [k, v + 1])
      .reduceByKey((x, y) => x + y)
      .cache();
    expect(rdd.toDebugString().replace(/\[\d+\]/g, '[#]')).toBe(
      [
        '(2) ShuffledRDD[#] at reduceByKey [Memory Deserialized 1x Replicated]',
        ' +-(2) ElementwiseRDD[#] at map []',
        '    |  ParallelCollectionRDD[#] at parallelize []',
      ].join('\n'),
    );
  });
});

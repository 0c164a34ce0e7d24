import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RddContext, RddError, StorageLevel } from './internal.js';
import { testContext } from './test-context.js';

describe('RddContext', () => {
  it('slices parallelize as Spark: partition i holds floor(i*n/k) up to floor((i+1)*n/k)', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3).glom().collect()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8, 9],
    ]);
  });

  it('leaves empty partitions when there are more slices than elements', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([1, 2], 4);
    expect(rdd.getNumPartitions()).toBe(4);
    expect(await rdd.glom().collect()).toEqual([[], [1], [], [2]]);
    expect(await ctx.parallelize([], 3).glom().collect()).toEqual([[], [], []]);
  });

  it('uses defaultParallelism when no slice count is given', () => {
    const ctx = testContext({ defaultParallelism: 5 });
    expect(ctx.parallelize([1, 2, 3]).getNumPartitions()).toBe(5);
    expect(ctx.range(10).getNumPartitions()).toBe(5);
  });

  it('copies the data given to parallelize, so later changes to the array do not leak in', async () => {
    const ctx = testContext();
    const data = [1, 2, 3];
    const rdd = ctx.parallelize(data, 2);
    data.push(4);
    expect(await rdd.collect()).toEqual([1, 2, 3]);
  });

  it('makes ranges as Python does, with one argument, a step, and a negative step', async () => {
    const ctx = testContext();
    expect(await ctx.range(5).collect()).toEqual([0, 1, 2, 3, 4]);
    expect(await ctx.range(1, 10, 3).collect()).toEqual([1, 4, 7]);
    expect(await ctx.range(10, 0, -3).collect()).toEqual([10, 7, 4, 1]);
    expect(await ctx.range(5, 5).collect()).toEqual([]);
    expect(await ctx.range(0, 10, 1, 3).glom().collect()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8, 9],
    ]);
  });

  it('rejects bad arguments with the name, the value and what was expected', () => {
    const ctx = testContext();
    expect(() => ctx.parallelize([1], 0)).toThrow('parallelize: numSlices was 0, expected a positive integer');
    expect(() => ctx.range(0, 10, 0)).toThrow('range: step was 0, expected a finite non-zero number');
    expect(() => new RddContext({ defaultParallelism: 1.5 })).toThrow('defaultParallelism was 1.5');
    expect(() => ctx.union([])).toThrow(RddError);
  });

  it('has an empty RDD with no partitions', async () => {
    const ctx = testContext();
    const empty = ctx.emptyRDD<number>();
    expect(empty.getNumPartitions()).toBe(0);
    expect(await empty.collect()).toEqual([]);
    expect(await empty.count()).toBe(0);
    expect(await empty.isEmpty()).toBe(true);
    expect(await empty.sum()).toBe(0);
  });

  it('unions several RDDs, keeping every partition and duplicate', async () => {
    const ctx = testContext();
    const all = ctx.union([ctx.parallelize([1, 2], 2), ctx.parallelize([2], 1), ctx.emptyRDD<number>()]);
    expect(all.getNumPartitions()).toBe(3);
    expect(await all.collect()).toEqual([1, 2, 2]);
  });

  it('reads the lines of a text file once each, whatever the split boundaries', async () => {
    const ctx = testContext();
    const dir = mkdtempSync(join(tmpdir(), 'fogline-text-'));
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(i % 37)}`);
    const path = join(dir, 'readings.txt');
    writeFileSync(path, `${lines.join('\r\n')}\r\n`);
    for (const minPartitions of [1, 2, 7, 50]) {
      const rdd = ctx.textFile(path, minPartitions);
      expect(rdd.getNumPartitions()).toBeGreaterThanOrEqual(minPartitions);
      expect(await rdd.collect()).toEqual(lines);
    }
    writeFileSync(join(dir, 'no-newline.txt'), 'a\nb');
    expect(await ctx.textFile(join(dir, 'no-newline.txt'), 3).collect()).toEqual(['a', 'b']);
    expect(() => ctx.textFile(join(dir, 'missing.txt')).getNumPartitions()).toThrow('textFile: path was');
  });

  it('writes saveAsTextFile parts that textFile reads back in order', async () => {
    const ctx = testContext();
    const out = join(mkdtempSync(join(tmpdir(), 'fogline-save-')), 'out');
    await ctx.parallelize(['a', 'b', 'c', 'd', 'e'], 3).saveAsTextFile(out);
    expect(existsSync(join(out, '_SUCCESS'))).toBe(true);
    expect(readFileSync(join(out, 'part-00000'), 'utf8')).toBe('a\n');
    expect(await ctx.textFile(out).collect()).toEqual(['a', 'b', 'c', 'd', 'e']);
    await expect(ctx.parallelize([1]).saveAsTextFile(out)).rejects.toMatchObject({ code: 'RDD_PATH_EXISTS' });
  });

  it('refuses actions after stop, and removes its disk folder', async () => {
    const base = mkdtempSync(join(tmpdir(), 'fogline-local-'));
    const ctx = new RddContext({ localDir: base, defaultParallelism: 2 });
    const rdd = ctx.parallelize([1, 2, 3]).persist(StorageLevel.DISK_ONLY);
    expect(await rdd.count()).toBe(3);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(base)).toHaveLength(1);
    await ctx.stop();
    expect(readdirSync(base)).toHaveLength(0);
    await expect(rdd.count()).rejects.toMatchObject({ code: 'RDD_CONTEXT_STOPPED' });
  });
});

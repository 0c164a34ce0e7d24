import { RddContext } from '@fogline/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { lcg } from '../testing/test-random.js';
import { gbtContributions, predictGbt, trainGbt } from './gradient-boosted-trees.js';
import { predict, trainLogistic } from './logistic-regression.js';
import { rocAuc } from './roc.js';

const rdd = new RddContext({ defaultParallelism: 2 });
afterAll(() => rdd.stop());

/** A device fails when a signal leaves a band on either side: no single weight can say so. */
function bandExamples(n: number, seed: number, missingShare = 0) {
  const random = lcg(seed);
  return Array.from({ length: n }, () => {
    const signal = random() * 4 - 2;
    const noise = random();
    const y = (Math.abs(signal) > 1.2 ? (random() < 0.9 ? 1 : 0) : random() < 0.05 ? 1 : 0) as 0 | 1;
    const missing = random() < missingShare;
    return { x: Float64Array.of(missing ? Number.NaN : signal, noise), y };
  });
}

describe('gradient-boosted trees on the RDD engine', () => {
  it('learns what logistic regression cannot: a failure on either side of a band', async () => {
    const train = bandExamples(3000, 1);
    const test = bandExamples(2000, 2);
    const trees = await trainGbt(rdd, train, { trees: 30 });
    const logistic = await trainLogistic(rdd, train);
    const labels = test.map((e) => e.y);
    const treesAuc = rocAuc(
      test.map((e) => predictGbt(trees, e.x)),
      labels,
    );
    const logisticAuc = rocAuc(
      test.map((e) => predict(logistic, e.x)),
      labels,
    );
    expect(treesAuc).toBeGreaterThan(0.9);
    expect(logisticAuc).toBeLessThan(0.65);
    expect(trees.trees).toHaveLength(30);
    expect(trees.logLoss).toBeLessThan(0.4);
  });

  it('learns where a missing value goes instead of reading it as a number', async () => {
    // Devices that fail stop reporting the signal: missing is itself the warning.
    const random = lcg(5);
    const examples = Array.from({ length: 2000 }, () => {
      const y = (random() < 0.2 ? 1 : 0) as 0 | 1;
      return { x: Float64Array.of(y === 1 && random() < 0.9 ? Number.NaN : random()), y };
    });
    const model = await trainGbt(rdd, examples, { trees: 20 });
    expect(predictGbt(model, [Number.NaN])).toBeGreaterThan(0.7);
    expect(predictGbt(model, [0.5])).toBeLessThan(0.1);
  });

  it('attributes a score to the features whose splits moved it, summing to the score less the bias', async () => {
    const model = await trainGbt(rdd, bandExamples(2000, 3), { trees: 20 });
    const x = Float64Array.of(1.8, 0.5);
    const contributions = gbtContributions(model, x, 2);
    const rootValues = model.trees.reduce((sum, tree) => sum + tree.value[0], 0);
    const raw = Math.log(predictGbt(model, x) / (1 - predictGbt(model, x)));
    expect(contributions[0] + contributions[1]).toBeCloseTo(raw - model.bias - rootValues, 9);
    expect(contributions[0]).toBeGreaterThan(Math.abs(contributions[1]));
  });

  it('refuses to train on nothing', async () => {
    await expect(trainGbt(rdd, [])).rejects.toThrow('no examples to train on');
    await expect(trainGbt(rdd, bandExamples(10, 1), { bins: 256 })).rejects.toThrow('bins was 256, expected an integer from 2 to 255');
  });
});

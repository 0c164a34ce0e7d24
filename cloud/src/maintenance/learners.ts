import type { RddContext } from '@fogline/shared';
import { type GbtModel, gbtContributions, predictGbt, trainGbt } from './gradient-boosted-trees.js';
import { type Example, type LogisticModel, predict, trainLogistic } from './logistic-regression.js';

/** The learners a kind's model is chosen from. */
export const learnerNames = ['logistic', 'gbt'] as const;
export type LearnerName = (typeof learnerNames)[number];

/** A trained learner: which one, and its parameters. */
export type TrainedLearner =
  | { readonly learner: 'logistic'; readonly logistic: LogisticModel }
  | { readonly learner: 'gbt'; readonly gbt: GbtModel };

export async function trainLearner(rdd: RddContext, learner: LearnerName, examples: readonly Example[]): Promise<TrainedLearner> {
  if (learner === 'logistic') return { learner, logistic: await trainLogistic(rdd, examples) };
  return { learner, gbt: await trainGbt(rdd, examples) };
}

/** The probability of a failure within the horizon. */
export function scoreWith(trained: TrainedLearner, x: ArrayLike<number>): number {
  return trained.learner === 'logistic' ? predict(trained.logistic, x) : predictGbt(trained.gbt, x);
}

/**
 * How much each feature pushed this score up or down, on the raw (log-odds) scale: a
 * standardised value times its weight, or what the trees' splits on it added.
 */
export function contributionsOf(trained: TrainedLearner, x: ArrayLike<number>): Float64Array {
  if (trained.learner === 'gbt') return gbtContributions(trained.gbt, x, x.length);
  const { weights, means, stds } = trained.logistic;
  return Float64Array.from(weights, (w, i) => (Number.isNaN(x[i]) ? 0 : (w * (x[i] - means[i])) / stds[i]));
}

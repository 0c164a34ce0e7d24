import type { RddContext } from '@fogline/shared';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

/** A labelled example: a feature vector, and 1 if the device failed within the horizon. */
export interface Example {
  readonly x: Float64Array;
  readonly y: 0 | 1;
}

/** A trained model: standardisation, weights on the standardised features, and a bias. */
export interface LogisticModel {
  readonly means: number[];
  readonly stds: number[];
  readonly weights: number[];
  readonly bias: number;
  readonly iterations: number;
  readonly logLoss: number;
}

export interface TrainOptions {
  /** L2 penalty per example on the weights (not the bias). */
  readonly l2?: number;
  readonly iterationsMax?: number;
  readonly partitions?: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** The probability of the positive class under the model. */
export function predict(model: LogisticModel, x: ArrayLike<number>): number {
  let z = model.bias;
  // A missing value (NaN) stands at the training mean: it adds nothing to the score.
  for (let i = 0; i < model.weights.length; i++) if (!Number.isNaN(x[i])) z += (model.weights[i] * (x[i] - model.means[i])) / model.stds[i];
  return sigmoid(z);
}

/**
 * L2-regularised logistic regression by Newton's method, as MLlib trains on an RDD: each
 * iteration is one treeAggregate pass that sums the gradient and the Hessian of the loss over
 * every partition's examples (partials merged in a tree), and the driver solves the small
 * (features + 1)-square system with a Cholesky decomposition (ml-matrix). Features are
 * standardised first, in one more pass. Newton converges in a handful of passes here, where
 * gradient descent would take hundreds.
 */
export async function trainLogistic(rdd: RddContext, examples: readonly Example[], options: TrainOptions = {}): Promise<LogisticModel> {
  if (examples.length === 0) throw new Error('no examples to train on');
  const { l2 = 1e-4, iterationsMax = 25, partitions = 4 } = options;
  const d = examples[0].x.length;
  const data = rdd.parallelize(examples, partitions).cache();

  // Pass 1: means and standard deviations of the values present (a missing one is NaN).
  const moments = await data.treeAggregate(
    new Float64Array(3 * d),
    (acc, { x }) => {
      for (let i = 0; i < d; i++) {
        if (Number.isNaN(x[i])) continue;
        acc[i] += x[i];
        acc[d + i] += x[i] * x[i];
        acc[2 * d + i]++;
      }
      return acc;
    },
    (a, b) => {
      for (let i = 0; i < a.length; i++) a[i] += b[i];
      return a;
    },
  );
  const n = examples.length;
  const present = (i: number) => moments[2 * d + i];
  const means = Array.from({ length: d }, (_, i) => (present(i) > 0 ? moments[i] / present(i) : 0));
  const stds = Array.from(
    { length: d },
    (_, i) => (present(i) > 0 ? Math.sqrt(Math.max(0, moments[d + i] / present(i) - means[i] ** 2)) : 0) || 1,
  );

  // Newton passes: gradient and Hessian over [bias, standardised features].
  const k = d + 1;
  let beta = new Float64Array(k);
  let logLoss = Number.NaN;
  let iterations = 0;
  for (; iterations < iterationsMax; iterations++) {
    const current = beta;
    const sums = await data.treeAggregate(
      new Float64Array(k + k * k + 1),
      (acc, { x, y }) => {
        const z = new Float64Array(k);
        z[0] = 1;
        let score = current[0];
        for (let i = 0; i < d; i++) {
          z[i + 1] = Number.isNaN(x[i]) ? 0 : (x[i] - means[i]) / stds[i];
          score += current[i + 1] * z[i + 1];
        }
        const p = sigmoid(score);
        const w = p * (1 - p);
        for (let i = 0; i < k; i++) {
          acc[i] += (p - y) * z[i];
          const row = k + i * k;
          for (let j = 0; j <= i; j++) acc[row + j] += w * z[i] * z[j];
        }
        acc[k + k * k] -= y === 1 ? Math.log(Math.max(p, 1e-15)) : Math.log(Math.max(1 - p, 1e-15));
        return acc;
      },
      (a, b) => {
        for (let i = 0; i < a.length; i++) a[i] += b[i];
        return a;
      },
    );
    const gradient = new Matrix(k, 1);
    const hessian = new Matrix(k, k);
    for (let i = 0; i < k; i++) {
      gradient.set(i, 0, sums[i] + (i > 0 ? l2 * n * current[i] : 0));
      for (let j = 0; j <= i; j++) {
        const h = sums[k + i * k + j] + (i === j && i > 0 ? l2 * n : 0) + (i === j ? 1e-9 * n : 0);
        hessian.set(i, j, h);
        hessian.set(j, i, h);
      }
    }
    logLoss = sums[k + k * k] / n;
    const step = new CholeskyDecomposition(hessian).solve(gradient);
    beta = Float64Array.from(current, (value, i) => value - step.get(i, 0));
    if (step.to1DArray().every((value) => Math.abs(value) < 1e-7)) {
      iterations++;
      break;
    }
  }
  data.unpersist();
  return { means, stds, weights: Array.from(beta.subarray(1)), bias: beta[0], iterations, logLoss };
}

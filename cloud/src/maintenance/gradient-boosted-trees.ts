import type { RddContext } from '@fogline/shared';
import type { Example } from './logistic-regression.js';

/**
 * A tree as flat arrays, node 0 the root: an inner node splits on feature[i] at threshold[i]
 * (x <= threshold goes left, to left[i]; a missing value goes the learnt way, missingLeft[i]);
 * a leaf has feature -1 and its value. value[i] of an inner node is what it would predict as a
 * leaf, so a path's steps say how much each split moved the score (the drivers).
 */
export interface Tree {
  feature: number[];
  threshold: number[];
  missingLeft: boolean[];
  left: number[];
  right: number[];
  value: number[];
}

/** Gradient-boosted trees for log loss: the raw score is bias plus every tree's leaf. */
export interface GbtModel {
  readonly bias: number;
  readonly trees: Tree[];
  readonly logLoss: number;
}

export interface GbtOptions {
  readonly trees?: number;
  readonly depth?: number;
  readonly learningRate?: number;
  /** L2 penalty on leaf values (XGBoost's lambda). */
  readonly l2?: number;
  /** A child needs at least this much hessian (about p(1 - p) per example). */
  readonly childHessianMin?: number;
  /** Candidate split points per feature: its quantiles. At most 255: a bin is kept in a byte per example and feature. */
  readonly bins?: number;
  readonly partitions?: number;
}

/** Bins per feature, at most: bin numbers and the missing slot (bins) fit a Uint8Array. */
export const binsMax = 255;

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function leafOf(tree: Tree, x: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    const v = x[tree.feature[node]];
    const goLeft = Number.isNaN(v) ? tree.missingLeft[node] : v <= tree.threshold[node];
    node = goLeft ? tree.left[node] : tree.right[node];
  }
  return node;
}

/** The probability of the positive class. */
export function predictGbt(model: GbtModel, x: ArrayLike<number>): number {
  let z = model.bias;
  for (const tree of model.trees) z += tree.value[leafOf(tree, x)];
  return sigmoid(z);
}

/** Per feature, how much the splits on it moved this example's raw score (Saabas's attribution). */
export function gbtContributions(model: GbtModel, x: ArrayLike<number>, features: number): Float64Array {
  const contributions = new Float64Array(features);
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      const v = x[tree.feature[node]];
      const next = (Number.isNaN(v) ? tree.missingLeft[node] : v <= tree.threshold[node]) ? tree.left[node] : tree.right[node];
      contributions[tree.feature[node]] += tree.value[next] - tree.value[node];
      node = next;
    }
  }
  return contributions;
}

/** Split points per feature: up to `bins` - 1 distinct quantiles of a sample of its present values. */
function binEdges(examples: readonly Example[], d: number, bins: number): Float64Array[] {
  const step = Math.max(1, Math.floor(examples.length / 20_000));
  return Array.from({ length: d }, (_, f) => {
    const values: number[] = [];
    for (let i = 0; i < examples.length; i += step) if (!Number.isNaN(examples[i].x[f])) values.push(examples[i].x[f]);
    values.sort((a, b) => a - b);
    const edges = new Set<number>();
    for (let b = 1; b < bins; b++) if (values.length > 0) edges.add(values[Math.floor((b * values.length) / bins)]);
    return Float64Array.from([...edges].sort((a, b) => a - b));
  });
}

/** The bin of a value: the first edge at or above it; edges.length for above all; `missing` for NaN. */
function binOf(edges: Float64Array, v: number, missing: number): number {
  if (Number.isNaN(v)) return missing;
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (edges[middle] < v) low = middle + 1;
    else high = middle;
  }
  return low;
}

interface Split {
  readonly gain: number;
  readonly feature: number;
  readonly bin: number;
  readonly missingLeft: boolean;
}

/**
 * Gradient-boosted trees for "fails within the horizon", trained as MLlib trains them on an
 * RDD: features are cut into quantile bins once; then for every level of every tree one
 * treeAggregate pass sums the gradient and hessian of the log loss per node, feature and bin
 * over all partitions, and the driver picks each node's best split from those histograms
 * (second-order gain, as XGBoost; a missing value tries both sides). Depth 4 and 60 trees at a
 * 0.1 learning rate suit hour features of a few hundred devices; nothing here is tuned to one fleet.
 */
export async function trainGbt(rdd: RddContext, examples: readonly Example[], options: GbtOptions = {}): Promise<GbtModel> {
  if (examples.length === 0) throw new Error('no examples to train on');
  const { trees: treeCount = 60, depth = 4, learningRate = 0.1, l2 = 1, childHessianMin = 1, bins = 32, partitions = 4 } = options;
  if (!Number.isInteger(bins) || bins < 2 || bins > binsMax)
    throw new RangeError(`bins was ${bins}, expected an integer from 2 to ${binsMax}`);
  const n = examples.length;
  const d = examples[0].x.length;
  const edges = binEdges(examples, d, bins);
  const slots = bins + 1; // the bins, then missing
  const binned = new Uint8Array(n * d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) binned[i * d + f] = binOf(edges[f], examples[i].x[f], bins);
  const y = Float64Array.from(examples, (e) => e.y);
  const positives = y.reduce((a, b) => a + b, 0);
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, positives / n));
  const bias = Math.log(prior / (1 - prior));
  const raw = new Float64Array(n).fill(bias);
  const gradient = new Float64Array(n);
  const hessian = new Float64Array(n);
  /** The node each example sits in, within the tree being grown. */
  const nodeOf = new Int32Array(n);
  const chunk = Math.ceil(n / partitions);
  const ranges = rdd
    .parallelize(
      Array.from({ length: partitions }, (_, p) => [p * chunk, Math.min(n, (p + 1) * chunk)] as const),
      partitions,
    )
    .cache();
  const trees: Tree[] = [];
  for (let t = 0; t < treeCount; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(raw[i]);
      gradient[i] = p - y[i];
      hessian[i] = Math.max(p * (1 - p), 1e-12);
    }
    const gRoot = gradient.reduce((a, b) => a + b, 0);
    const hRoot = hessian.reduce((a, b) => a + b, 0);
    const tree: Tree = {
      feature: [-1],
      threshold: [0],
      missingLeft: [false],
      left: [-1],
      right: [-1],
      value: [(-learningRate * gRoot) / (hRoot + l2)],
    };
    nodeOf.fill(0);
    let open = [0];
    let totals = [[gRoot, hRoot]];
    for (let level = 0; level < depth && open.length > 0; level++) {
      const slotOfNode = new Map(open.map((node, k) => [node, k]));
      const width = d * slots * 2;
      const histograms = await ranges.treeAggregate(
        new Float64Array(open.length * width),
        (acc, [from, to]) => {
          for (let i = from; i < to; i++) {
            const k = slotOfNode.get(nodeOf[i]);
            if (k === undefined) continue;
            const base = k * width;
            const g = gradient[i];
            const h = hessian[i];
            const row = i * d;
            for (let f = 0; f < d; f++) {
              const at = base + (f * slots + binned[row + f]) * 2;
              acc[at] += g;
              acc[at + 1] += h;
            }
          }
          return acc;
        },
        (a, b) => {
          for (let i = 0; i < a.length; i++) a[i] += b[i];
          return a;
        },
      );
      const nextOpen: number[] = [];
      const nextTotals: number[][] = [];
      const splitBin = new Map<number, number>();
      for (const [k, node] of open.entries()) {
        const [gTotal, hTotal] = totals[k];
        const split = bestSplit(histograms, k * width, d, slots, edges, gTotal, hTotal, l2, childHessianMin);
        if (!split) continue;
        const leftNode = tree.feature.length;
        const rightNode = leftNode + 1;
        tree.feature[node] = split.feature;
        tree.threshold[node] = split.bin < edges[split.feature].length ? edges[split.feature][split.bin] : Number.POSITIVE_INFINITY;
        tree.missingLeft[node] = split.missingLeft;
        tree.left[node] = leftNode;
        tree.right[node] = rightNode;
        splitBin.set(node, split.bin);
        const [gLeft, hLeft] = sideTotals(histograms, k * width, split, slots);
        for (const [child, g, h] of [
          [leftNode, gLeft, hLeft],
          [rightNode, gTotal - gLeft, hTotal - hLeft],
        ] as const) {
          tree.feature[child] = -1;
          tree.threshold[child] = 0;
          tree.missingLeft[child] = false;
          tree.left[child] = -1;
          tree.right[child] = -1;
          tree.value[child] = (-learningRate * g) / (h + l2);
          nextOpen.push(child);
          nextTotals.push([g, h]);
        }
      }
      for (let i = 0; i < n; i++) {
        const node = nodeOf[i];
        const at = splitBin.get(node);
        if (at === undefined) continue;
        const bin = binned[i * d + tree.feature[node]];
        const goLeft = bin === bins ? tree.missingLeft[node] : bin <= at;
        nodeOf[i] = goLeft ? tree.left[node] : tree.right[node];
      }
      open = nextOpen;
      totals = nextTotals;
    }
    // Every example's node is now its leaf.
    for (let i = 0; i < n; i++) raw[i] += tree.value[nodeOf[i]];
    trees.push(tree);
  }
  ranges.unpersist();
  let logLoss = 0;
  for (let i = 0; i < n; i++) {
    const p = sigmoid(raw[i]);
    logLoss -= y[i] === 1 ? Math.log(Math.max(p, 1e-15)) : Math.log(Math.max(1 - p, 1e-15));
  }
  return { bias, trees, logLoss: logLoss / n };
}

function sideTotals(histograms: Float64Array, base: number, split: Split, slots: number): [number, number] {
  let g = 0;
  let h = 0;
  const offset = base + split.feature * slots * 2;
  for (let b = 0; b <= split.bin; b++) {
    g += histograms[offset + b * 2];
    h += histograms[offset + b * 2 + 1];
  }
  if (split.missingLeft) {
    g += histograms[offset + (slots - 1) * 2];
    h += histograms[offset + (slots - 1) * 2 + 1];
  }
  return [g, h];
}

function bestSplit(
  histograms: Float64Array,
  base: number,
  d: number,
  slots: number,
  edges: readonly Float64Array[],
  gTotal: number,
  hTotal: number,
  l2: number,
  childHessianMin: number,
): Split | undefined {
  const score = (g: number, h: number) => (g * g) / (h + l2);
  const parent = score(gTotal, hTotal);
  let best: Split | undefined;
  for (let f = 0; f < d; f++) {
    const offset = base + f * slots * 2;
    const gMissing = histograms[offset + (slots - 1) * 2];
    const hMissing = histograms[offset + (slots - 1) * 2 + 1];
    let g = 0;
    let h = 0;
    // Bin b: values up to edges[b] go left; the last present bin would put everything left.
    for (let b = 0; b < edges[f].length; b++) {
      g += histograms[offset + b * 2];
      h += histograms[offset + b * 2 + 1];
      for (const missingLeft of [false, true]) {
        const gl = missingLeft ? g + gMissing : g;
        const hl = missingLeft ? h + hMissing : h;
        const hr = hTotal - hl;
        if (hl < childHessianMin || hr < childHessianMin) continue;
        const gain = score(gl, hl) + score(gTotal - gl, hr) - parent;
        if (gain > 1e-9 && (!best || gain > best.gain)) best = { gain, feature: f, bin: b, missingLeft };
      }
    }
  }
  return best;
}

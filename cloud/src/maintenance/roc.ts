/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative (ties count half), from the ranks (Mann-Whitney U), O(n log n).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The threshold with the best F-score on these scores: how an alert level is chosen from
 * validation data. beta < 1 weighs precision above recall (F0.5: a false alarm costs a
 * technician's trip); `f1` is the F-beta reached.
 */
export function bestF1Threshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  beta = 1,
): { threshold: number; precision: number; recall: number; f1: number } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let totalPositives = 0;
  for (let i = 0; i < labels.length; i++) totalPositives += labels[i];
  let best = { threshold: 1, precision: 0, recall: 0, f1: 0 };
  let truePositives = 0;
  for (let k = 0; k < order.length; k++) {
    truePositives += labels[order[k]];
    if (k + 1 < order.length && scores[order[k + 1]] === scores[order[k]]) continue;
    const precision = truePositives / (k + 1);
    const recall = totalPositives > 0 ? truePositives / totalPositives : 0;
    const b2 = beta * beta;
    const f1 = precision + recall > 0 ? ((1 + b2) * precision * recall) / (b2 * precision + recall) : 0;
    if (f1 > best.f1) best = { threshold: scores[order[k]], precision, recall, f1 };
  }
  return best;
}

/** Average precision: the precision at each positive, over the ranking by score (ties as one step). */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let totalPositives = 0;
  for (let i = 0; i < labels.length; i++) totalPositives += labels[i];
  if (totalPositives === 0) return Number.NaN;
  let truePositives = 0;
  let area = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let tiedPositives = labels[order[start]];
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) tiedPositives += labels[order[++end]];
    truePositives += tiedPositives;
    area += (tiedPositives / totalPositives) * (truePositives / (end + 1));
    start = end + 1;
  }
  return area;
}

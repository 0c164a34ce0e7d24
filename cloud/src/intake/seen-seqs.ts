/**
 * Seqs remembered above the high-water mark per (gateway, incarnation), at most. A gap that
 * never fills (a partition the gateway dropped at its outbox limit) would otherwise grow the
 * set forever; past this the mark moves over the oldest gap, counted, and a seq from that gap
 * arriving later is taken for a duplicate.
 */
export const seenAboveMarkMax = 10_000;

/** Which seqs of one (gateway, incarnation) are merged: every seq <= mark, and those in `above`. */
export interface SeenSeqs {
  readonly mark: number;
  /** Ascending, each > mark + 1. */
  readonly above: readonly number[];
}

/** Before anything arrived: an incarnation's seqs start at its firstSeq. */
export function nothingSeen(firstSeq: number): SeenSeqs {
  return { mark: firstSeq - 1, above: [] };
}

function indexOf(sorted: readonly number[], seq: number): { found: boolean; at: number } {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < seq) low = middle + 1;
    else high = middle;
  }
  return { found: sorted[low] === seq, at: low };
}

export function hasSeen(seen: SeenSeqs, seq: number): boolean {
  return seq <= seen.mark || indexOf(seen.above, seq).found;
}

/**
 * The state with `seq` added: the mark moves up while the next seq is there, and past
 * `aboveMax` it skips the oldest gap. `gapSeqsSkipped` counts the seqs skipped over unseen.
 */
export function withSeen(seen: SeenSeqs, seq: number, aboveMax = seenAboveMarkMax): { seen: SeenSeqs; gapSeqsSkipped: number } {
  if (hasSeen(seen, seq)) return { seen, gapSeqsSkipped: 0 };
  const above = [...seen.above];
  above.splice(indexOf(above, seq).at, 0, seq);
  let mark = seen.mark;
  let gapSeqsSkipped = 0;
  let taken = 0;
  for (;;) {
    while (taken < above.length && above[taken] === mark + 1) mark = above[taken++];
    if (above.length - taken <= aboveMax) break;
    gapSeqsSkipped += above[taken] - mark - 1;
    mark = above[taken] - 1;
  }
  return { seen: { mark, above: above.slice(taken) }, gapSeqsSkipped };
}

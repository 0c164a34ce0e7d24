import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasSeen, nothingSeen, type SeenSeqs, withSeen } from './seen-seqs.js';

describe('seen seqs', () => {
  it('keeps a mark and the seqs above it, whatever order they arrive in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(Array.from({ length: 60 }, (_, i) => i + 10)), (seqs) => {
        let seen: SeenSeqs = nothingSeen(10);
        for (const seq of seqs) seen = withSeen(seen, seq).seen;
        for (let seq = 0; seq < 80; seq++) expect(hasSeen(seen, seq)).toBe(seq < 10 || seqs.includes(seq));
        // Bounded: only the seqs above the first gap are listed.
        const firstGap = Array.from({ length: 61 }, (_, i) => i + 10).find((s) => !seqs.includes(s)) ?? 70;
        expect(seen.mark).toBe(firstGap - 1);
        expect(seen.above.every((s) => s > firstGap)).toBe(true);
      }),
    );
  });

  it('skips the oldest gap at aboveMax, and says how many seqs it skipped', () => {
    let seen = nothingSeen(0);
    seen = withSeen(seen, 0).seen;
    let skipped = 0;
    for (const seq of [5, 6, 7, 9]) {
      const next = withSeen(seen, seq, 3);
      seen = next.seen;
      skipped += next.gapSeqsSkipped;
    }
    expect(skipped).toBe(4); // 1 to 4
    expect(seen).toEqual({ mark: 7, above: [9] });
    expect(hasSeen(seen, 3)).toBe(true);
    expect(hasSeen(seen, 8)).toBe(false);
  });
});

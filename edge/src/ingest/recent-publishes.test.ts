import { describe, expect, it } from 'vitest';
import { payloadDigest, RecentPublishes } from './recent-publishes.js';

describe('RecentPublishes', () => {
  it('recognises a resend by packet id and payload, not a new message reusing the id', () => {
    const recent = new RecentPublishes(10);
    const digest = payloadDigest(Buffer.from('{"t":1}'));
    recent.remember('dev', 5, digest);
    expect(recent.isResend('dev', 5, digest)).toBe(true);
    expect(recent.isResend('dev', 5, payloadDigest(Buffer.from('{"t":2}')))).toBe(false);
    expect(recent.isResend('other', 5, digest)).toBe(false);
    recent.forget('dev', 5);
    expect(recent.isResend('dev', 5, digest)).toBe(false);
  });

  it('keeps at most entriesMax, forgetting the oldest first', () => {
    const recent = new RecentPublishes(3);
    for (let id = 1; id <= 5; id++) recent.remember('dev', id, id);
    expect(recent.size).toBe(3);
    expect([1, 2, 3, 4, 5].map((id) => recent.isResend('dev', id, id))).toEqual([false, false, true, true, true]);
    // Remembered again, an id survives the eviction of its older slot.
    recent.remember('dev', 3, 3);
    recent.remember('dev', 6, 6);
    recent.remember('dev', 7, 7);
    expect(recent.isResend('dev', 3, 3)).toBe(true);
    expect(recent.size).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import { payloadDigest, ResendMemo } from './resend-memo.js';

const digest = payloadDigest(Buffer.from('{"t":1}'));

describe('ResendMemo', () => {
  it('takes a publish for a resend only when its earlier copy may have missed its PUBACK', () => {
    const memo = new ResendMemo(8, 10);
    memo.remember('dev', 1, 5, digest, 100);
    // Still being written (offset 100 >= committed end 100): a resend on any connection.
    expect(memo.isResend('dev', 1, 5, digest, false, 100)).toBe(true);
    // Acknowledged on this connection: the same id and bytes again are new, unless DUP says otherwise.
    expect(memo.isResend('dev', 1, 5, digest, false, 101)).toBe(false);
    expect(memo.isResend('dev', 1, 5, digest, true, 101)).toBe(true);
    // On a later connection (the first one broke): a resend, once; then new on that connection.
    expect(memo.isResend('dev', 2, 5, digest, false, 101)).toBe(true);
    expect(memo.isResend('dev', 2, 5, digest, false, 101)).toBe(false);
    // Other bytes under the same id, another id, another device: new.
    expect(memo.isResend('dev', 3, 5, digest + 1, false, 101)).toBe(false);
    expect(memo.isResend('dev', 3, 6, digest, false, 101)).toBe(false);
    expect(memo.isResend('other', 3, 5, digest, false, 101)).toBe(false);
    // A clean DISCONNECT clears the device.
    memo.clear('dev');
    expect(memo.isResend('dev', 4, 5, digest, false, 101)).toBe(false);
  });

  it('keeps the newest publish of an id, perDeviceMax per device, and drops the idlest device at devicesMax (counted)', () => {
    const memo = new ResendMemo(3, 2);
    for (let id = 1; id <= 5; id++) memo.remember('dev', 1, id, id, id, 1);
    expect([1, 2, 3, 4, 5].map((id) => memo.isResend('dev', 2, id, id, false, 10))).toEqual([false, false, true, true, true]);
    memo.remember('dev', 1, 4, 99, 6, 1); // id 4 reused for other bytes: the newest entry decides
    expect(memo.isResend('dev', 3, 4, 4, false, 10)).toBe(false);
    memo.remember('b', 1, 1, 1, 7, 2);
    memo.remember('c', 1, 1, 1, 8, 3);
    expect(memo.deviceCount).toBe(2);
    expect(memo.evicted).toBe(1);
    expect(memo.has('dev')).toBe(false);
  });

  it('snapshots only what the log holds below the committed end, and restores it as a previous run', () => {
    const memo = new ResendMemo(8, 10);
    memo.remember('dev', 1, 1, 11, 0);
    memo.remember('dev', 1, 2, 22, 1);
    memo.remember('dev', 1, 3, 33, 2); // not yet committed
    const snapshot = memo.snapshot(2);
    expect(snapshot).toEqual([['dev', [1, 11, 2, 22]]]);
    const restored = new ResendMemo(8, 10);
    restored.restore(snapshot);
    expect(restored.isResend('dev', 1, 2, 22, false, 0)).toBe(true);
    expect(restored.isResend('dev', 1, 3, 33, false, 0)).toBe(false);
  });
});

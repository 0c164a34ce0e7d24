import { describe, expect, it } from 'vitest';
import { intakeAttemptsMax, PoisonGuard } from './poison-guard.js';

describe('PoisonGuard', () => {
  it('parks a message that fails every time after intakeAttemptsMax attempts, and lets a passing failure be retried', async () => {
    const parked: string[] = [];
    const guard = new PoisonGuard(async (topic, reason) => {
      parked.push(`${topic}: ${reason}`);
    });
    const bytes = Buffer.from('poison');
    const failing = async () => {
      throw new Error('cannot merge');
    };
    for (let attempt = 1; attempt < intakeAttemptsMax; attempt++)
      await expect(guard.run('t/a', bytes, failing)).rejects.toThrow('cannot merge');
    expect(await guard.run('t/a', bytes, failing)).toBe('parked');
    expect(parked).toEqual([`t/a: parked after ${intakeAttemptsMax} failed attempts: cannot merge`]);
    // Other bytes, or the same bytes on another topic, have their own count; a success is done.
    await expect(guard.run('t/b', bytes, failing)).rejects.toThrow();
    expect(await guard.run('t/b', bytes, async () => {})).toBe('done');
    expect(parked).toHaveLength(1);
  });

  it('does not acknowledge a message whose parking fails (the store is down): it is retried', async () => {
    const guard = new PoisonGuard(async () => {
      throw new Error('store is down');
    });
    const failing = async () => {
      throw new Error('store is down');
    };
    for (let attempt = 1; attempt <= intakeAttemptsMax + 2; attempt++)
      await expect(guard.run('t', Buffer.from('x'), failing)).rejects.toThrow('store is down');
  });
});

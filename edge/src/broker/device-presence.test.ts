import { describe, expect, it } from 'vitest';
import { DevicePresence } from './device-presence.js';

describe('DevicePresence', () => {
  it('keeps who is connected and when each was last seen', () => {
    const presence = new DevicePresence();
    presence.connected('a', 1000);
    presence.connected('b', 2000);
    presence.seen('a', 5000);
    presence.disconnected('b', 6000);
    expect(presence.list()).toEqual([
      { clientId: 'a', connected: true, connectedAtMs: 1000, lastSeenMs: 5000 },
      { clientId: 'b', connected: false, connectedAtMs: 2000, lastSeenMs: 6000 },
    ]);
    expect(presence.list(true).map((e) => e.clientId)).toEqual(['a']);
  });

  it('forgets the device gone longest at its maximum, never one that is connected, and counts it', () => {
    let forgotten = 0;
    const presence = new DevicePresence(2, () => forgotten++);
    presence.connected('kept-connected', 1);
    presence.connected('gone-first', 2);
    presence.disconnected('gone-first', 3);
    presence.connected('newcomer', 4);
    expect(presence.list().map((e) => e.clientId)).toEqual(['kept-connected', 'newcomer']);
    expect([presence.forgotten, forgotten]).toEqual([1, 1]);
  });
});

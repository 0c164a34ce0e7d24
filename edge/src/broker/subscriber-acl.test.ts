import { describe, expect, it } from 'vitest';
import { SubscriberAcl } from './subscriber-acl.js';

describe("local subscribers' ACL (Mosquitto's acl_file format)", () => {
  const acl = SubscriberAcl.parse(`# everyone
topic read alerts/#

user historian
topic read telemetry/#
topic read events/+
`);

  it('gives the lines before any user to everyone, and the rest to that user', () => {
    expect(acl.allows('node-red', 'alerts/#')).toBe(true);
    expect(acl.allows('node-red', 'alerts/atm-1')).toBe(true);
    expect(acl.allows('node-red', 'telemetry/#')).toBe(false);
    expect(acl.allows('historian', 'telemetry/atm-1/temp')).toBe(true);
    expect(acl.allows('historian', 'events/atm-1')).toBe(true);
  });

  it('refuses a filter wider than what is allowed, or malformed', () => {
    expect(acl.allows('historian', 'events/#')).toBe(false); // events/+ does not cover events/a/b
    expect(acl.allows('historian', '#')).toBe(false);
    expect(acl.allows('historian', '+/atm-1')).toBe(false);
    expect(acl.allows('historian', 'telemetry/a#')).toBe(false);
  });

  it('defaults to telemetry, events and alerts, and refuses write access with the line', () => {
    expect(SubscriberAcl.defaults.allows('anyone', 'telemetry/+')).toBe(true);
    expect(SubscriberAcl.defaults.allows('anyone', 'commands/atm-1')).toBe(false);
    expect(() => SubscriberAcl.parse('user plc\ntopic readwrite commands/#', 'acl')).toThrow(
      'acl line 2 ("topic readwrite commands/#"): access was "readwrite", expected read (local subscribers only read)',
    );
    expect(() => SubscriberAcl.parse('pattern read %u/#', 'acl')).toThrow('expected "user <name>" or "topic read <filter>"');
  });
});

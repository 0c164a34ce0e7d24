import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './gateway-config.js';

const example = fileURLToPath(new URL('../../gateway.example.yaml', import.meta.url));

function problems(yaml: string): string[] {
  const path = join(mkdtempSync(join(tmpdir(), 'fogline-config-')), 'gateway.yaml');
  writeFileSync(path, yaml);
  try {
    loadGatewayConfig(path, {}, {});
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('gateway config', () => {
  it('accepts the shipped example, resolving paths from its folder', () => {
    const config = loadGatewayConfig(example, {}, {});
    expect(config.gatewayId).toBe('gw-lisbon-01');
    expect(config.dataDir).toBe(fileURLToPath(new URL('../../data/gateway', import.meta.url)));
    expect(config.rules).toHaveLength(4);
  });

  it('fills every default from a gatewayId alone', () => {
    expect(problems('gatewayId: gw-1\n')).toEqual([]);
  });

  it('names the field, the value and what was expected, for every problem at once', () => {
    expect(problems('gatewayId: "bad id!"\nmqtt:\n  port: 70000\nwindows:\n  sizeMs: 0\ningest:\n  qos0: maybe\nextra: 1\n')).toEqual([
      'gatewayId was "bad id!", expected an id of 1-64 letters, digits, _ . -',
      'mqtt.port was 70000, expected a port from 0 to 65535',
      'ingest.qos0 was "maybe", expected one of "durable", "fast"',
      'windows.sizeMs was 0, expected a number > 0',
      '(root): unknown field(s) extra; check the spelling',
    ]);
    expect(problems('gatewayId: g\nschedules:\n  status: "often"\n')).toEqual([
      'schedules.status was "often", expected a cron expression (sec min hour day month weekday)',
    ]);
    expect(problems('gatewayId: g\nrules:\n  - { kind: threshold, name: t, metric: m }\n')).toEqual([
      'rules.0 was "t" with neither above nor below, expected at least one bound',
    ]);
    expect(problems('- just\n- a list\n')).toEqual(['(root) was ["just","a list"], expected a mapping of settings']);
  });

  it('lets environment variables override the file, and flags override both', () => {
    const env = { FOGLINE_GATEWAY_ID: 'from-env', FOGLINE_MQTT_PORT: '1999' };
    expect(loadGatewayConfig(example, {}, env)).toMatchObject({ gatewayId: 'from-env', mqtt: { port: 1999 } });
    expect(loadGatewayConfig(example, { gatewayId: 'from-flag', opsPort: 0 }, env)).toMatchObject({
      gatewayId: 'from-flag',
      ops: { port: 0 },
    });
    expect(() => loadGatewayConfig(undefined, {}, { FOGLINE_MQTT_PORT: 'abc' })).toThrow('mqtt.port was null');
  });
});

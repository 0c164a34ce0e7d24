import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig, printableGatewayConfig } from './gateway-config.js';

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
    expect(() => loadGatewayConfig(undefined, {}, { FOGLINE_GATEWAY_ID: 'gw', FOGLINE_MQTT_PORT: 'abc' })).toThrow(
      'FOGLINE_MQTT_PORT was "abc", expected a port from 0 to 65535',
    );
    expect(() => loadGatewayConfig(undefined, {}, { FOGLINE_GATEWAY_ID: 'gw', FOGLINE_OPS_PORT: '' })).toThrow('FOGLINE_OPS_PORT was ""');
  });

  it('explains a mistyped rule kind, a bad pipeline schedule, clashing ports and an inverted backoff', () => {
    expect(
      problems(`gatewayId: gw
mqtt: { port: 8883, tls: { keyFile: k, certFile: c } }
uplink: { url: "mqtt://cloud:1884", reconnectMsMin: 60000, reconnectMsMax: 1000 }
rules: [{ kind: thresold, name: hot, metric: cabinetTemperature, above: 35 }]
pipelines: [{ module: ./job.js, schedule: "every minute" }]
`),
    ).toEqual(['rules.0.kind was "thresold", expected one of "threshold", "deadband", "rate-of-change", "silence"']);
    expect(
      problems(`gatewayId: gw
mqtt: { port: 8883, tls: { keyFile: k, certFile: c } }
ops: { port: 8883 }
uplink: { url: "mqtt://cloud:1884", reconnectMsMin: 60000, reconnectMsMax: 1000 }
pipelines: [{ module: ./job.js, schedule: "every minute" }]
`),
    ).toEqual([
      'pipelines.0.schedule was "every minute", expected a cron expression (sec min hour day month weekday)',
      "mqtt.tls.port was 8883, expected a port other than mqtt.port's (both listeners cannot bind it)",
      "ops.port was 8883, expected a port other than mqtt.port's (both listeners cannot bind it)",
      'uplink.reconnectMsMin was 60000, expected at most uplink.reconnectMsMax 1000',
    ]);
  });

  it('takes the uplink password from FOGLINE_UPLINK_PASSWORD or a file named by FOGLINE_UPLINK_PASSWORD_FILE, never printing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-secret-'));
    const secretFile = join(dir, 'uplink-password');
    writeFileSync(secretFile, 'from-a-file-0123456789\n');
    expect(loadGatewayConfig(example, {}, { FOGLINE_UPLINK_PASSWORD_FILE: secretFile }).uplink?.password).toBe('from-a-file-0123456789');
    const config = loadGatewayConfig(example, {}, { FOGLINE_UPLINK_PASSWORD: 'from-the-environment' });
    expect(config.uplink?.password).toBe('from-the-environment');
    const printed = JSON.stringify(printableGatewayConfig(config));
    expect(printed).not.toContain('from-the-environment');
    expect(printed).toContain('"password":"[redacted]"');
    expect(() => loadGatewayConfig(example, {}, { FOGLINE_UPLINK_PASSWORD_FILE: join(dir, 'missing') })).toThrow(
      /FOGLINE_UPLINK_PASSWORD_FILE was ".*missing", expected a readable file holding uplink.password \(ENOENT\)/,
    );
    expect(() => loadGatewayConfig(example, {}, { FOGLINE_UPLINK_PASSWORD: 'x', FOGLINE_UPLINK_PASSWORD_FILE: secretFile })).toThrow(
      'FOGLINE_UPLINK_PASSWORD and FOGLINE_UPLINK_PASSWORD_FILE were both set',
    );
  });

  it('fills a mapping from its preset, and names the mapping field at fault', () => {
    const config = loadGatewayConfig(example, {}, {});
    expect(config.mappings[0]).toMatchObject({ name: 'tasmota-sensor', topic: 'tele/{device}/SENSOR', values: 'auto' });
    expect(
      problems(`gatewayId: gw
mappings:
  - { preset: zigbee2mqtt, clients: [z2m-bridge], topic: "z2m/{device}" }
  - { topic: "meters/{meter}" }
  - { topic: "meters/{meter}", deviceId: "{building}", values: auto }
  - { preset: tasmota-snsor }
`),
    ).toEqual([
      'mappings.3.preset was "tasmota-snsor", expected one of "tasmota-sensor", "tasmota-state", "zigbee2mqtt", "shelly-gen2", "home-assistant-state"',
    ]);
    expect(
      problems(`gatewayId: gw
mappings:
  - { preset: zigbee2mqtt, clients: [z2m-bridge], topic: "z2m/{device}" }
  - { topic: "meters/{meter}" }
  - { topic: "meters/{meter}", deviceId: "{building}", values: auto }
`),
    ).toEqual([
      'mappings.1.deviceId was missing, expected it or a preset (tasmota-sensor, tasmota-state, zigbee2mqtt, shelly-gen2, home-assistant-state)',
      'mappings.2: mapping mapping-2: deviceId "{building}" uses {building}, which the topic does not name',
    ]);
  });
});

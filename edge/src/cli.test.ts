import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CredentialStore } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { gatewayCli } from './gateway-process.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [gatewayCli, ...args]);

/** Runs the CLI with text on its stdin; resolves to stdout, rejects with {code, stderr} on failure. */
function cliWithInput(input: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [gatewayCli, ...args], (error, stdout, stderr) =>
      error ? reject(Object.assign(error, { stderr })) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

describe('fogline-gateway CLI', () => {
  it('adds a device with labels, prints its secret once, lists and removes it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fogline-cli-'));
    const added = await cli(
      'devices',
      'add',
      'atm-7',
      '--label',
      'site=porto',
      '--label',
      'model=x200',
      '--gateway-id',
      'g',
      '--data-dir',
      dataDir,
    );
    const { deviceId, secret, labels } = JSON.parse(added.stdout);
    expect({ deviceId, labels }).toEqual({ deviceId: 'atm-7', labels: { site: 'porto', model: 'x200' } });
    expect(await new CredentialStore(join(dataDir, 'devices.json')).verify('atm-7', secret)).toBe(true);
    const listed = await cli('devices', 'list', '--gateway-id', 'g', '--data-dir', dataDir);
    expect(listed.stdout).toContain('"deviceId":"atm-7"');
    expect(listed.stdout).not.toContain(secret);
    await expect(cli('devices', 'add', 'atm-7', '--gateway-id', 'g', '--data-dir', dataDir)).rejects.toMatchObject({
      stderr: expect.stringContaining('atm-7 already exists'),
    });
    await cli('devices', 'remove', 'atm-7', '--gateway-id', 'g', '--data-dir', dataDir);
    expect((await cli('devices', 'list', '--gateway-id', 'g', '--data-dir', dataDir)).stdout).toBe('');
  });

  it('imports devices in bulk from JSON lines, prints each secret once, and refuses the whole batch on one bad entry', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fogline-cli-'));
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ deviceId: `atm-${i}`, labels: { site: 'porto' } })).join('\n');
    const imported = await cliWithInput(`${lines}\n\n`, 'devices', 'import', '--gateway-id', 'g', '--data-dir', dataDir);
    const issued = imported
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { deviceId: string; secret: string; labels: object });
    expect(issued.map((d) => d.deviceId)).toEqual(Array.from({ length: 40 }, (_, i) => `atm-${i}`));
    const store = new CredentialStore(join(dataDir, 'devices.json'));
    expect(store.size).toBe(40);
    expect(store.labels('atm-39')).toEqual({ site: 'porto' });
    for (const { deviceId, secret } of [issued[0], issued[39]]) expect(await store.verify(deviceId, secret)).toBe(true);
    expect(await store.verify('atm-1', issued[0].secret)).toBe(false);
    await expect(
      cliWithInput('{"deviceId":"new-1"}\n{"deviceId":"atm-3"}\n', 'devices', 'import', '--gateway-id', 'g', '--data-dir', dataDir),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('entry 1: atm-3 already exists') });
    await expect(cliWithInput('{"deviceId":7}\n', 'devices', 'import', '--gateway-id', 'g', '--data-dir', dataDir)).rejects.toMatchObject({
      stderr: expect.stringContaining('stdin line 1: deviceId was 7, expected a string'),
    });
    expect(new CredentialStore(join(dataDir, 'devices.json')).size).toBe(40);
  });

  it('exits 2 with the problems listed when the config is invalid, and prints help', async () => {
    await expect(cli('check-config', '--mqtt-port', '1883')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('gatewayId was missing, expected'),
    });
    expect((await cli('--help')).stdout).toContain('devices');
    expect((await cli('start', '--help')).stdout).toContain('--mqtt-port');
  });
});

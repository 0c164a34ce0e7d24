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

  it('exits 2 with the problems listed when the config is invalid, and prints help', async () => {
    await expect(cli('check-config', '--mqtt-port', '1883')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('gatewayId was missing, expected'),
    });
    expect((await cli('--help')).stdout).toContain('devices');
    expect((await cli('start', '--help')).stdout).toContain('--mqtt-port');
  });
});

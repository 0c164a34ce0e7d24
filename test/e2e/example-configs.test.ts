import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cloudConfigSchema } from '@fogline/cloud';
import { builtinProfiles } from '@fogline/devices-sim';
import { gatewayConfigSchema } from '@fogline/edge';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cloudCli, gatewayCli, killedAfterEachTest, tempDir } from './processes.js';

const gatewayExample = fileURLToPath(new URL('../../edge/gateway.example.yaml', import.meta.url));
const cloudExample = fileURLToPath(new URL('../../cloud/cloud.example.yaml', import.meta.url));
const { start } = killedAfterEachTest();

/** Runs a CLI in another folder, as a user who copied the example would. */
const runIn = async (cwd: string, cli: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  (await promisify(execFile)(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } })).stdout;

/** Every metric name the simulator's built-in profiles send. */
const simulatedMetrics = new Set(Object.values(builtinProfiles).flatMap((profile) => Object.keys(profile.metrics)));

describe('the example configs', () => {
  it('the gateway example is complete, checks from any folder, and its rules name metrics the simulator sends', async () => {
    const raw = parse(readFileSync(gatewayExample, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual(Object.keys(gatewayConfigSchema.shape).sort());
    for (const rule of raw.rules as { metric: string }[]) if (rule.metric !== '*') expect(simulatedMetrics).toContain(rule.metric);

    const elsewhere = tempDir('example-copy');
    copyFileSync(gatewayExample, join(elsewhere, 'gateway.yaml'));
    const checked = JSON.parse(
      await runIn(tempDir('example-cwd'), gatewayCli, ['check-config', '-c', join(elsewhere, 'gateway.yaml')], {
        FOGLINE_UPLINK_PASSWORD: 'a-secret-from-the-environment',
      }),
    );
    expect(checked.dataDir).toBe(join(elsewhere, 'data/gateway'));
    expect(checked.uplink).toMatchObject({ url: expect.stringMatching(/^mqtt:/), password: '[redacted]' });
  });

  it("the gateway example's pipeline loads from a copy of the file in another folder", async () => {
    const elsewhere = tempDir('example-run');
    copyFileSync(gatewayExample, join(elsewhere, 'gateway.yaml'));
    const gateway = await start(
      gatewayCli,
      ['-c', join(elsewhere, 'gateway.yaml'), '--mqtt-port', '0', '--ops-port', '0', '--data-dir', join(elsewhere, 'data')],
      'gateway ready',
    );
    expect(gateway.output()).toMatch(/"module":"@fogline\/edge\/examples\/hot-devices-pipeline\.js".*"msg":"user pipeline started"/);
  });

  it('the cloud example is complete and checks from any folder', async () => {
    const raw = parse(readFileSync(cloudExample, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual(Object.keys(cloudConfigSchema.shape).sort());
    const elsewhere = tempDir('cloud-example');
    copyFileSync(cloudExample, join(elsewhere, 'cloud.yaml'));
    const checked = JSON.parse(await runIn(tempDir('example-cwd'), cloudCli, ['check-config', '-c', join(elsewhere, 'cloud.yaml')]));
    expect(checked.dataDir).toBe(join(elsewhere, 'data/cloud'));
  });
});

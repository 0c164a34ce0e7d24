import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cloudCli, gatewayCli, runCli, simCli } from './processes.js';

const versionOf = (pkg: string) =>
  (JSON.parse(readFileSync(new URL(`../../${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

describe('--version', () => {
  it('every CLI prints its package version', async () => {
    for (const [cli, pkg] of [
      [gatewayCli, 'edge'],
      [cloudCli, 'cloud'],
      [simCli, 'devices-sim'],
    ] as const) {
      expect((await runCli(cli, ['--version'])).trim()).toBe(versionOf(pkg));
    }
  });

  it('npx runs every CLI from the repository root', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    for (const [bin, pkg] of [
      ['fogline-gateway', 'edge'],
      ['fogline-cloud', 'cloud'],
      ['fogline-sim', 'devices-sim'],
    ] as const) {
      const { stdout } = await promisify(execFile)('npx', ['--no-install', bin, '--version'], { cwd: root });
      expect(stdout.trim()).toBe(versionOf(pkg));
    }
  });
});

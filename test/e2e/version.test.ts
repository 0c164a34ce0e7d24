import { readFileSync } from 'node:fs';
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
});

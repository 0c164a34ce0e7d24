import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cloudCli, killedAfterEachTest, simCli, tempDir, writeYaml } from './processes.js';

const { start } = killedAfterEachTest();

/** Runs a CLI to its end: its exit code and what it said. */
async function outcome(cli: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('an API facing the network', () => {
  it('the cloud refuses to listen beyond loopback without a token, and starts with tokens from the environment', async () => {
    const dir = tempDir('exposed');
    const config = writeYaml(dir, 'cloud.yaml', { dataDir: dir, broker: { port: 0 }, http: { host: '0.0.0.0', port: 0 } });
    const refused = await outcome(cloudCli, ['start', '-c', config]);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('http.host was "0.0.0.0" with no token');

    const read = 'read-token-for-the-network-01';
    const admin = 'admin-token-for-the-network-1';
    process.env.FOGLINE_CLOUD_READ_TOKEN = read;
    process.env.FOGLINE_CLOUD_ADMIN_TOKEN = admin;
    try {
      const cloud = await start(cloudCli, ['-c', config], 'cloud ready');
      const base = `http://127.0.0.1:${cloud.ports.http}`;
      expect((await fetch(`${base}/api/v1/overview`)).status).toBe(401);
      expect((await fetch(`${base}/api/v1/overview`, { headers: { authorization: `Bearer ${read}` } })).status).toBe(200);
      const train = (token: string) =>
        fetch(`${base}/api/v1/maintenance/train`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect((await train(read)).status).toBe(403);
      expect((await train(admin)).status).toBe(200);
      expect(cloud.output()).not.toContain(read);
    } finally {
      delete process.env.FOGLINE_CLOUD_READ_TOKEN;
      delete process.env.FOGLINE_CLOUD_ADMIN_TOKEN;
    }
  });

  it('the stack (npm start -- --host 0.0.0.0) refuses without a token, before it starts anything', async () => {
    const dir = tempDir('stack-exposed');
    const refused = await outcome(simCli, ['stack', '--host', '0.0.0.0', '--data-dir', dir, '--http-port', '0'], {
      FOGLINE_CLOUD_READ_TOKEN: '',
    });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('--host was "0.0.0.0" with no API token');
    expect(refused.output).not.toContain('setting up');
  });
});

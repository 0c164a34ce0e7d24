import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterEach } from 'vitest';
import { stringify } from 'yaml';

export const gatewayCli = fileURLToPath(new URL('../../edge/dist/cli.js', import.meta.url));
export const cloudCli = fileURLToPath(new URL('../../cloud/dist/cli.js', import.meta.url));
export const simCli = fileURLToPath(new URL('../../devices-sim/dist/cli.js', import.meta.url));

export interface Running {
  readonly child: ChildProcess;
  readonly ports: Record<string, number>;
  readonly exited: Promise<number | null>;
  readonly output: () => string;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fogline-${prefix}-`));
}

export function writeYaml(dir: string, name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

export async function runCli(cli: string, args: string[]): Promise<string> {
  return (await promisify(execFile)(process.execPath, [cli, ...args])).stdout;
}

/** Runs a CLI with `input` on its standard input; resolves with stdout, or rejects with stderr when it fails. */
export function runCliWithInput(cli: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [cli, ...args], (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

/** Spawns a CLI's `start` and resolves once it logs `readyMessage` (a pino JSON line) with its ports. */
export function startProcess(cli: string, args: string[], readyMessage: string): Promise<Running> {
  const child = spawn(process.execPath, [cli, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let all = '';
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr?.on('data', (chunk) => {
      all += chunk;
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      all += chunk;
      buffered += chunk.toString('utf8');
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const record = JSON.parse(line) as { msg?: string; ports?: Record<string, number> };
          if (record.msg === readyMessage && record.ports) resolve({ child, ports: record.ports, exited, output: () => all });
        } catch {
          // not a log line
        }
      }
    });
    exited.then((code) => reject(new Error(`${cli} exited with ${code} before it was ready:\n${all}`)));
  });
}

export async function stopProcess(running: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  running.child.kill(signal);
  return running.exited;
}

/**
 * For a test file: `start` spawns a CLI like startProcess, and whatever is still running after
 * each test is killed with SIGKILL, so a failed test leaves no process behind.
 */
export function killedAfterEachTest(): { start: (cli: string, args: string[], ready: string) => Promise<Running> } {
  const running: Running[] = [];
  afterEach(async () => {
    for (const process of running.splice(0)) if (process.child.exitCode === null) await stopProcess(process, 'SIGKILL');
  });
  return {
    start: async (cli, args, ready) => {
      const process = await startProcess(cli, args, ready);
      running.push(process);
      return process;
    },
  };
}

/**
 * A running cloud (its broker and API on port 0) with one gateway registered on it, and that
 * gateway's config written but not started: a test provisions devices first, or starts it
 * with flags. `cloudHttp` adds to the cloud's http section, `cloud` to or over its other
 * sections, and `gateway` to or over the gateway's.
 */
export async function cloudAndGatewayConfig(
  start: (cli: string, args: string[], ready: string) => Promise<Running>,
  gatewayId: string,
  options: {
    cloudHttp?: Record<string, unknown>;
    cloud?: Record<string, unknown>;
    gateway?: (dir: string) => Record<string, unknown>;
  } = {},
): Promise<{ cloud: Running; gatewayDir: string; gatewayConfig: string; gatewaySecret: string }> {
  const cloudDir = tempDir(`${gatewayId}-cloud`);
  const cloudConfig = writeYaml(cloudDir, 'cloud.yaml', {
    dataDir: cloudDir,
    broker: { port: 0 },
    http: { port: 0, ...options.cloudHttp },
    log: { level: 'info' },
    ...options.cloud,
  });
  const { secret } = JSON.parse(await runCli(cloudCli, ['gateways', 'add', gatewayId, '-c', cloudConfig])) as { secret: string };
  const cloud = await start(cloudCli, ['-c', cloudConfig], 'cloud ready');
  const gatewayDir = tempDir(gatewayId);
  const gatewayConfig = writeYaml(gatewayDir, 'gateway.yaml', {
    gatewayId,
    dataDir: gatewayDir,
    mqtt: { port: 0 },
    ops: { port: 0 },
    uplink: { url: `mqtt://127.0.0.1:${cloud.ports.broker}`, username: gatewayId, password: secret },
    log: { level: 'info' },
    ...options.gateway?.(gatewayDir),
  });
  return { cloud, gatewayDir, gatewayConfig, gatewaySecret: secret };
}

/** Connects and resolves with the CONNACK return code MQTT.js reports, or 0 when let in. */
export async function connackCode(url: string, options: mqtt.IClientOptions): Promise<number | string> {
  try {
    const client = await mqtt.connectAsync(url, { ...options, reconnectPeriod: 0, connectTimeout: 5_000 });
    await client.endAsync();
    return 0;
  } catch (error) {
    return (error as { code?: number | string }).code ?? (error as Error).message;
  }
}

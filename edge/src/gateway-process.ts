import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/** The built CLI, as a user runs it. */
export const gatewayCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly ports: { mqtt: number; ops: number };
  readonly exited: Promise<number | null>;
}

/** Writes a config file into dataDir for the CLI. */
export function writeConfig(dataDir: string, config: Record<string, unknown>): string {
  const path = join(dataDir, 'gateway.yaml');
  writeFileSync(path, stringify({ dataDir, ...config }));
  return path;
}

/** Spawns `fogline-gateway start` and resolves once it logs 'gateway ready' with its ports. */
export function spawnGateway(configPath: string, extraArgs: string[] = []): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [gatewayCli, 'start', '--config', configPath, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (;;) {
        const newline = buffered.indexOf('\n');
        if (newline === -1) break;
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const record = JSON.parse(line) as { msg?: string; ports?: { mqtt: number; ops: number } };
          if (record.msg === 'gateway ready' && record.ports) resolve({ child, ports: record.ports, exited });
        } catch {
          // not a log line
        }
      }
    });
    exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready: ${stderr}`)));
  });
}

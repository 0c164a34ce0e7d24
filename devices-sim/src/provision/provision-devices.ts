import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceIdentity } from '../device/simulated-device.js';
import { readDeviceSecrets } from './device-secrets.js';

export interface ProvisionOptions {
  /** The gateway CLI's script (edge/dist/cli.js); found through @fogline/edge when not given. */
  readonly gatewayCli?: string;
  /** The gateway's config file, so the CLI writes to the gateway's credentials file. */
  readonly gatewayConfig?: string;
  readonly gatewayDataDir?: string;
  /** Where the secrets go (JSON lines, mode 0600); devices already in it are skipped. */
  readonly outPath: string;
}

/** The fogline-gateway script of this installation. */
export function defaultGatewayCli(): string {
  try {
    return join(dirname(fileURLToPath(import.meta.resolve('@fogline/edge'))), 'cli.js');
  } catch {
    throw new Error('fogline-gateway was not found (is @fogline/edge installed?); pass --gateway-cli <path to edge/dist/cli.js>');
  }
}

/**
 * Bulk provisioning through the gateway's own CLI (`fogline-gateway devices import`): the
 * gateway hashes and stores the secrets, the simulator keeps them in outPath. Idempotent:
 * devices whose secret is already in outPath are not provisioned again, so a second run
 * after growing the fleet adds only the new ones.
 */
export async function provisionDevices(
  devices: readonly DeviceIdentity[],
  options: ProvisionOptions,
): Promise<{ added: number; kept: number }> {
  const known = existsSync(options.outPath) ? readDeviceSecrets(options.outPath) : new Map<string, string>();
  const todo = devices.filter((device) => !known.has(device.id));
  if (todo.length === 0) return { added: 0, kept: known.size };
  const args = [options.gatewayCli ?? defaultGatewayCli(), 'devices', 'import'];
  if (options.gatewayConfig) args.push('--config', options.gatewayConfig);
  if (options.gatewayDataDir) args.push('--data-dir', options.gatewayDataDir);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
  child.stdin.end(todo.map((device) => `${JSON.stringify({ deviceId: device.id, labels: device.labels })}\n`).join(''));
  const code = await exited;
  if (code !== 0) throw new Error(`fogline-gateway devices import failed (exit ${code}): ${stderr.trim()}`);
  if (!existsSync(options.outPath)) writeFileSync(options.outPath, '', { mode: 0o600 });
  appendFileSync(options.outPath, stdout);
  chmodSync(options.outPath, 0o600);
  return { added: todo.length, kept: known.size };
}

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the stack remembers between runs (stack.json in its data folder, mode 0600: it holds secrets). */
export interface StackState {
  readonly version: 1;
  readonly createdAtMs: number;
  /** Names this stack's cloud nodes and shared group apart from another stack's on the same broker (set on a first run, or added). */
  clusterId?: string;
  /** Gateway id -> its secret on the cloud's broker. */
  readonly gatewaySecrets: Record<string, string>;
  /** The device a person can publish as with mosquitto_pub. */
  readonly demoDevice: { readonly deviceId: string; readonly secret: string; readonly gatewayId: string };
  /** How far the simulated fleet got: the next run carries on from here. */
  simulatedUntilMs: number | null;
  runs: number;
}

export const stateFile = (dataDir: string) => join(dataDir, 'stack.json');

export function readStackState(dataDir: string): StackState | undefined {
  const path = stateFile(dataDir);
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as StackState;
    if (state.version !== 1) throw new Error(`version was ${JSON.stringify(state.version)}, expected 1`);
    return state;
  } catch (error) {
    throw new Error(`${path} is not a stack state this version reads (${(error as Error).message}); move the folder away to start afresh`);
  }
}

export function writeStackState(dataDir: string, state: StackState): void {
  writeFileSync(stateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

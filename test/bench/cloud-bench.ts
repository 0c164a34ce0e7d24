import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cloud, openLevelCloudStore, parseCloudConfig } from '@fogline/cloud';
import { Gateway, parseGatewayConfig } from '@fogline/edge';
import { pino } from 'pino';
import { type BenchRow, medianMs } from './bench-table.js';
import { decodeAndMergeInMemory, gatewayEnvelopes } from './intake-envelopes.js';

const devices = 500;
const readingsPerDevice = 300; // five minutes at one reading a second
const envelopesForIntake = 200;
const recordsPerEnvelope = 250;
const silent = pino({ level: 'silent' });
const temp = (prefix: string) => mkdtempSync(join(tmpdir(), `fogline-bench-${prefix}-`));

function runLoad(options: Record<string, unknown>): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./mqtt-load.ts', import.meta.url)), JSON.stringify(options)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load generator exited with ${code}`)))),
  );
}

/**
 * Bytes the gateway forwards to the cloud over bytes it receives from devices (whole MQTT
 * PUBLISH packets), for 500 devices sending one reading a second for five minutes of event
 * time, in 60 s windows, through a real gateway and a real cloud.
 */
async function bandwidth(): Promise<BenchRow> {
  const cloudDir = temp('cloud');
  const gatewayDir = temp('gateway');
  const cloud = await Cloud.start(
    parseCloudConfig({ dataDir: cloudDir, broker: { port: 0, allowAnonymous: true }, http: { port: 0 }, log: { level: 'silent' } }),
    silent,
  );
  const gateway = await Gateway.start(
    parseGatewayConfig({
      gatewayId: 'gw-bandwidth',
      dataDir: gatewayDir,
      mqtt: { port: 0, allowAnonymous: true },
      ops: { port: 0 },
      limits: { messagesPerSecondMax: 1_000_000 },
      windows: { sizeMs: 60_000, allowedLatenessMs: 3_600_000 },
      uplink: { url: `mqtt://127.0.0.1:${cloud.ports.broker}` },
      log: { level: 'silent' },
    }),
    silent,
  );
  try {
    await runLoad({
      port: gateway.ports.mqtt,
      connections: devices,
      messagesPerConnection: readingsPerDevice,
      qos: 1,
      mode: 'burst',
      durationMs: 0,
      stepMs: 1000,
    });
  } finally {
    await gateway.stop();
  }
  const counted = (await cloud.store.registry.gatewayList()).find((g) => g.gatewayId === 'gw-bandwidth')?.readings ?? 0;
  await cloud.stop();
  rmSync(cloudDir, { recursive: true, force: true });
  rmSync(gatewayDir, { recursive: true, force: true });
  if (counted !== devices * readingsPerDevice)
    throw new Error(`bandwidth bench: the cloud counted ${counted} of ${devices * readingsPerDevice} readings`);
  return {
    benchmark: `Bandwidth: bytes forwarded to the cloud / bytes received from devices (${devices} devices x 1 reading/s, 60 s windows, ${readingsPerDevice / 60} min)`,
    unit: 'bytes',
    figure: gateway.counters.bytesForwarded,
    baseline: gateway.counters.bytesReceived,
    baselineName: 'MQTT PUBLISH bytes from devices',
    targetRatioMax: 0.02,
  };
}

/** The cloud's intake (decode, merge into stored states, mark seen: one atomic write each) against a hand-written decode-and-merge loop. */
async function intakeRate(durability: 'process' | 'power'): Promise<BenchRow> {
  // 50 one-minute windows of one gateway's 1,000 devices, 4 envelopes a window.
  const envelopes = gatewayEnvelopes('gw-intake', envelopesForIntake / 4, 4 * recordsPerEnvelope);
  const records = envelopesForIntake * recordsPerEnvelope;
  const handLoop = () => decodeAndMergeInMemory(envelopes);
  const intake = async () => {
    const dir = temp('intake');
    const store = await openLevelCloudStore(dir, durability, 'bench');
    for (const bytes of envelopes) await store.partitions.apply('fogline/v1/gw-intake/partitions/0', bytes);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const [handMs, intakeMs] = await medianMs(3, [handLoop, intake]);
  return {
    benchmark: `Cloud intake: ${envelopesForIntake} envelopes x ${recordsPerEnvelope} records, merged into the level store exactly once, intake.durability: ${durability}`,
    unit: 'records/s',
    figure: (records / intakeMs) * 1000,
    baseline: (records / handMs) * 1000,
    baselineName: 'hand-written decode-and-merge loop, in memory',
    targetRatioMin: durability === 'process' ? 0.5 : undefined,
  };
}

export async function runCloudBench(): Promise<BenchRow[]> {
  return [await intakeRate('process'), await intakeRate('power'), await bandwidth()];
}

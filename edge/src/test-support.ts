import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialStore, decodeEnvelope, MetricState, type Reading } from '@fogline/shared';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { parseGatewayConfig } from './config/gateway-config.js';
import { Gateway } from './gateway.js';
import { GatewayStore } from './store/gateway-store.js';

/** A config for tests: a fresh data folder, ports 0, quiet logs; `extra` overrides. */
export function testConfig(extra: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fogline-gw-'));
  return parseGatewayConfig({ gatewayId: 'gw-test', dataDir, mqtt: { port: 0 }, ops: { port: 0 }, log: { level: 'silent' }, ...extra });
}

export async function startTestGateway(extra: Record<string, unknown> = {}) {
  return Gateway.start(testConfig(extra), pino({ level: 'silent' }));
}

/** Devices with generated secrets, written to the gateway's credentials file. */
export async function provision(credentialsFile: string, ids: readonly string[]): Promise<Map<string, string>> {
  const credentials = new CredentialStore(credentialsFile);
  const secrets = new Map<string, string>();
  for (const id of ids) secrets.set(id, await credentials.add(id, { site: 'test' }, 2 ** 10));
  return secrets;
}

export interface OutboxContents {
  /** Merged state per "deviceId/metric", over every envelope. */
  readonly states: Map<string, MetricState>;
  readonly envelopes: number;
  readonly seqs: number[];
}

/** Opens a stopped gateway's store and merges what its outbox holds. */
export async function readOutbox(dataDir: string): Promise<OutboxContents> {
  const store = await GatewayStore.open(dataDir);
  const states = new Map<string, MetricState>();
  const seqs: number[] = [];
  try {
    for await (const value of store.outbox.values()) {
      const envelope = decodeEnvelope(value);
      seqs.push(envelope.seq);
      for (const [[deviceId, metric], state] of envelope.records) {
        const key = `${deviceId}/${metric}`;
        states.set(key, (states.get(key) ?? MetricState.empty()).merge(state));
      }
    }
  } finally {
    await store.close();
  }
  return { states, envelopes: seqs.length, seqs };
}

const packr = new Packr({ useRecords: false });

export async function readDeadLetters(dataDir: string): Promise<{ deviceId: string; topic: string; reason: string }[]> {
  const store = await GatewayStore.open(dataDir);
  const out: { deviceId: string; topic: string; reason: string }[] = [];
  try {
    for await (const value of store.dead.values()) out.push(packr.unpack(value));
  } finally {
    await store.close();
  }
  return out;
}

/** The states computed independently from what was sent. */
export function expectedStates(readings: readonly Reading[]): Map<string, MetricState> {
  const states = new Map<string, MetricState>();
  for (const r of readings) {
    const key = `${r.deviceId}/${r.metric}`;
    states.set(key, (states.get(key) ?? MetricState.empty()).add(r.value, r.ts));
  }
  return states;
}

/** The figures merge keeps bit-exact, and the variance to rounding. */
/**
 * The variances that differ by more than `relative` (merging in another order moves their last
 * digits, so they are compared apart from the exact figures): "key: got vs expected" lines.
 */
export function varianceMismatches(actual: Map<string, MetricState>, expected: Map<string, MetricState>, relative = 1e-9): string[] {
  const problems: string[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key)?.variance ?? Number.NaN;
    if (!(Math.abs(got - want.variance) <= relative * Math.max(1, Math.abs(want.variance))))
      problems.push(`${key}: variance ${got} vs ${want.variance}`);
  }
  return problems;
}

export function comparable(states: Map<string, MetricState>) {
  return new Map(
    [...states].map(([key, s]) => {
      const { count, sum, min, max, mean, first, last, firstTs, lastTs, p50, p95, p99 } = s.summary();
      return [key, { count, sum, min, max, mean, first, last, firstTs, lastTs, p50, p95, p99 }];
    }),
  );
}

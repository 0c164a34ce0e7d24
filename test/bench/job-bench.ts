import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultJobModule,
  GatewayStore,
  JobRunner,
  logOffset,
  type OffsetReading,
  Outbox,
  parseGatewayConfig,
  WindowPipeline,
  WindowState,
} from '@fogline/edge';
import { PerSourceAggregator, RddContext, type Reading } from '@fogline/shared';
import { pino } from 'pino';
import type { BenchRow } from './bench-table.js';

const devices = 10_000;
const seconds = 100;
const batchReadings = 10_000;
const runs = 5;

/** 10,000 devices, one reading a second each for 100 s, in arrival order, each tagged with its log offset. */
function makeReadings(): OffsetReading[] {
  const t0 = Date.UTC(2026, 11, 1);
  const ids = Array.from({ length: devices }, (_, i) => `atm-${String(i).padStart(5, '0')}`);
  const out: OffsetReading[] = [];
  for (let s = 0; s < seconds; s++)
    for (let d = 0; d < devices; d++) {
      const offset = out.length;
      out.push({
        deviceId: ids[d],
        metric: 'dispenserVibration',
        ts: t0 + s * 1000 + (d % 1000),
        value: 0.9 + ((offset * 31) % 100) / 1000,
        [logOffset]: offset,
      });
    }
  return out;
}

const config = (dataDir: string) =>
  parseGatewayConfig({
    gatewayId: 'bench',
    dataDir,
    mqtt: { port: 0 },
    ops: { port: 0 },
    windows: { sizeMs: 60_000, allowedLatenessMs: 5_000 },
  });

/** The gateway's default job and its reduction, as the gateway runs them (no window closes: those cost the same on both sides). */
async function engineRun(
  readings: readonly OffsetReading[],
): Promise<{ ms: number; count: number; sum: number; cleanup: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fogline-job-bench-'));
  const cfg = config(dataDir);
  const store = await GatewayStore.open(dataDir);
  const checkpoint = await store.readCheckpoint();
  const outbox = new Outbox(store, cfg.outbox.bytesMax, cfg.outbox.compressAboveBytes, checkpoint.nextSeq);
  await outbox.init();
  const rdd = new RddContext({ defaultParallelism: 1 });
  const pipeline = new WindowPipeline(store, outbox, rdd, cfg, checkpoint, {
    onLate: () => {},
    onDuplicate: () => {},
    onRefused: () => {},
    onWindowsWritten: () => {},
  });
  const sinks = {
    gatewayId: 'bench',
    raise: () => {},
    checkRules: () => [],
    rulesEnabled: false,
    sendCommand: () => '',
    labelsOf: () => ({}),
    deadLetter: () => {},
    batchFailed: (error: Error) => {
      throw error;
    },
  };
  const runner = await JobRunner.start([defaultJobModule], pipeline, store, sinks, 100, pino({ level: 'silent' }), undefined, 0);
  globalThis.gc?.();
  const start = performance.now();
  for (let i = 0; i < readings.length; i += batchReadings) {
    const batch = readings.slice(i, i + batchReadings);
    await runner.run({ readings: batch, logOffsetMax: i + batch.length - 1, replaying: false, alertsWritten: false });
  }
  const ms = performance.now() - start;
  const closed = pipeline.aggregator.closeAll().flatMap((w) => w.entries);
  return {
    ms,
    count: closed.reduce((n, [, s]) => n + s.metric.count, 0),
    sum: closed.reduce((n, [, s]) => n + s.metric.sum.value(), 0),
    cleanup: async () => {
      await runner.stop();
      await rdd.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The same reduction by hand, reading by reading: per-device watermarks, dedup, MetricState.add (the gateway's path before the engine). */
function handRun(readings: readonly OffsetReading[]): { ms: number; count: number; sum: number } {
  const aggregator = new PerSourceAggregator<string, Reading, WindowState>({
    window: { kind: 'tumbling', sizeMs: 60_000 },
    allowedLatenessMs: 5_000,
    createState: () => new WindowState(),
    addValue: (state, reading) => {
      if (state.admit(reading)) state.metric.add(reading.value, reading.ts);
      return state;
    },
  });
  globalThis.gc?.();
  const start = performance.now();
  for (const reading of readings) {
    aggregator.add(reading.deviceId, reading.metric, reading.ts, reading, reading[logOffset] as number);
  }
  const ms = performance.now() - start;
  const closed = aggregator.closeAll().flatMap((w) => w.entries);
  return { ms, count: closed.reduce((n, [, s]) => n + s.metric.count, 0), sum: closed.reduce((n, [, s]) => n + s.metric.sum.value(), 0) };
}

/**
 * The default job's cost per reading: 1,000,000 readings through the gateway's job and its
 * engine reduction (micro-batches of 10,000), against the same reduction by hand.
 */
export async function runJobBench(): Promise<BenchRow[]> {
  const readings = makeReadings();
  const engineMs: number[] = [];
  const handMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const engine = await engineRun(readings);
    await engine.cleanup();
    const hand = handRun(readings);
    // Same answers first: a benchmark of a wrong result measures nothing.
    if (engine.count !== readings.length || hand.count !== readings.length || Math.abs(engine.sum - hand.sum) > 1e-6 * hand.sum)
      throw new Error(`job bench: the job counted ${engine.count} (sum ${engine.sum}), the hand loop ${hand.count} (sum ${hand.sum})`);
    engineMs.push(engine.ms);
    handMs.push(hand.ms);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perSecond = (ms: number) => (readings.length / ms) * 1000;
  const engine = perSecond(median(engineMs));
  const hand = perSecond(median(handMs));
  return [
    {
      benchmark: `Gateway default job, micro-batches of ${batchReadings.toLocaleString('en-US')} through the event-time step and combineByKey (${readings.length.toLocaleString('en-US')} readings, ${devices.toLocaleString('en-US')} devices, 60 s windows); per reading ${((1e9 / engine) | 0).toLocaleString('en-US')} ns`,
      unit: 'readings/s',
      figure: engine,
      baseline: hand,
      baselineName: `hand-written loop, the same reduction reading by reading; per reading ${((1e9 / hand) | 0).toLocaleString('en-US')} ns`,
      targetRatioMin: 0.5,
    },
  ];
}

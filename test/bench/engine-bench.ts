import { MetricState, RddContext } from '@fogline/shared';
import { type BenchRow, medianMs } from './bench-table.js';

interface Reading {
  deviceId: string;
  metric: string;
  ts: number;
  value: number;
}

const readingsCount = 2_000_000;
const keysCount = 10_000;
const runs = 5;

function makeReadings(): Reading[] {
  const readings = new Array<Reading>(readingsCount);
  const ids = Array.from({ length: keysCount }, (_, i) => `atm-${String(i).padStart(5, '0')}`);
  for (let i = 0; i < readingsCount; i++) {
    readings[i] = {
      deviceId: ids[(i * 7919) % keysCount],
      metric: 'temperature',
      ts: 1_732_400_000_000 + i,
      value: 20 + ((i * 31) % 100) / 10,
    };
  }
  return readings;
}

/**
 * The engine against a hand-written Map loop doing the same reduction over the same 2,000,000
 * readings of 10,000 devices: map -> reduceByKey -> collect, and aggregateByKey into a
 * MetricState (a mutable combiner).
 */
export async function runEngineBench(): Promise<BenchRow[]> {
  const readings = makeReadings();
  const ctx = new RddContext();

  const handSum = () => {
    const sums = new Map<string, number>();
    for (const r of readings) sums.set(r.deviceId, (sums.get(r.deviceId) ?? 0) + r.value);
    return Array.from(sums);
  };
  const engineSum = () =>
    ctx
      .parallelize(readings)
      .map((r) => [r.deviceId, r.value])
      .reduceByKey((a, b) => a + b)
      .collect();

  const handStates = () => {
    const states = new Map<string, MetricState>();
    for (const r of readings) {
      let state = states.get(r.deviceId);
      if (state === undefined) {
        state = MetricState.empty();
        states.set(r.deviceId, state);
      }
      state.add(r.value, r.ts);
    }
    return Array.from(states);
  };
  const engineStates = () =>
    ctx
      .parallelize(readings)
      .map((r) => [r.deviceId, r])
      .aggregateByKey(
        MetricState.empty(),
        (state, r) => state.add(r.value, r.ts),
        (a, b) => a.merge(b),
      )
      .collect();

  // Same answers first: a benchmark of a wrong result measures nothing.
  const [hand, engine] = [new Map(handSum()), new Map(await engineSum())];
  if (hand.size !== keysCount || [...hand].some(([k, v]) => Math.abs((engine.get(k) ?? Number.NaN) - v) > 1e-6 * Math.abs(v))) {
    throw new Error('engine bench: reduceByKey and the hand loop disagree');
  }

  const [handSumMs, engineSumMs] = await medianMs(runs, [handSum, engineSum]);
  const [handStatesMs, engineStatesMs] = await medianMs(runs, [handStates, engineStates]);
  await ctx.stop();
  const perSecond = (ms: number) => (readingsCount / ms) * 1000;
  return [
    {
      benchmark: `RDD map -> reduceByKey -> collect (${readingsCount.toLocaleString('en-US')} readings, ${keysCount.toLocaleString('en-US')} keys, ${ctx.defaultParallelism} partitions)`,
      unit: 'readings/s',
      figure: perSecond(engineSumMs),
      baseline: perSecond(handSumMs),
      baselineName: 'hand-written Map loop',
      targetRatioMin: 0.33,
    },
    {
      benchmark: 'RDD aggregateByKey into MetricState (same data)',
      unit: 'readings/s',
      figure: perSecond(engineStatesMs),
      baseline: perSecond(handStatesMs),
      baselineName: 'hand-written Map loop',
      targetRatioMin: 0.5,
    },
  ];
}

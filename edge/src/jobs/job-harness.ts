import { RddContext, type Reading, StreamingContext } from '@fogline/shared';
import { pino } from 'pino';
import type { GatewayJob, JobApi } from '../pipeline/gateway-job.js';
import type { Alert } from '../pipeline/rules.js';

/** What a job did over some batches: what it forwarded (with each stream's distinct flag) and the alerts it raised. */
export interface JobOutcome {
  readonly forwarded: { readonly reading: Reading; readonly distinct: boolean }[];
  readonly alerts: Omit<Alert, 'gatewayId' | 'id'>[];
}

/**
 * Runs a job on a real StreamingContext, one batch per array, the way the gateway wires it
 * (without the windows): for testing a job's logic on its own.
 */
export async function runJob(
  job: GatewayJob,
  batches: readonly (readonly Reading[])[],
  labels: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
): Promise<JobOutcome> {
  const rdd = new RddContext({ defaultParallelism: 1 });
  const ssc = new StreamingContext(rdd, 100);
  const input = ssc.queueStream<Reading>();
  const outcome: JobOutcome = { forwarded: [], alerts: [] };
  const api: JobApi = {
    forward: (stream, { distinct = true } = {}) =>
      stream.foreachRDD(async (batch) => {
        for (const reading of await batch.collect()) outcome.forwarded.push({ reading, distinct });
      }),
    checkRules: () => {},
    emitAlert: (alert) => outcome.alerts.push(alert),
    sendCommand: () => '',
    labelsOf: (deviceId) => labels[deviceId] ?? {},
    logger: pino({ level: 'silent' }),
    batchIntervalMs: 100,
  };
  job(input, api);
  for (const [i, batch] of batches.entries()) {
    input.push(batch);
    await ssc.runBatch((i + 1) * 100);
  }
  await rdd.stop();
  return outcome;
}

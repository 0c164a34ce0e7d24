import type { Logger } from 'pino';
import type { CloudMetrics } from '../ops/cloud-metrics.js';
import type { CloudStore } from '../store/cloud-store.js';

/** Turns what the intake store reports into metrics and log lines. */
export function observeIntake(store: CloudStore, metrics: CloudMetrics, logger: Logger): void {
  store.events.on('incarnation', ({ gatewayId, incarnation, news, stats }) => {
    metrics.incarnations.inc({ news });
    if (news === 'new') logger.info({ gatewayId, incarnation, incarnations: stats.incarnations?.length }, 'new gateway incarnation');
    else
      logger.warn(
        { gatewayId, incarnations: stats.incarnationConflict?.incarnations },
        'two incarnations of one gateway id are writing at once: two processes share the id',
      );
  });
  store.events.on('dedupGapSkipped', ({ gatewayId, incarnation, seqs }) => {
    metrics.dedupGapSeqsSkipped.inc(seqs);
    logger.warn(
      { gatewayId, incarnation, seqs },
      'seqs that never arrived skipped over (seenAboveMarkMax); one arriving later counts as a duplicate',
    );
  });
  store.events.on('recordsRejected', ({ gatewayId, reasons }) => {
    metrics.recordsDeadLettered.inc(reasons.length);
    logger.warn({ gatewayId, records: reasons.length, first: reasons[0] }, 'records dead-lettered; the rest of the envelope merged');
  });
}

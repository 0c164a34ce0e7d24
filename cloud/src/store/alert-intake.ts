import { hasSeen, nothingSeen, withSeen } from '../intake/seen-seqs.js';
import type { AlertIntake, IntakeOutcome } from './cloud-store.js';
import type { MergeBackend } from './merge-transaction.js';
import type { KeepAside } from './partition-merge.js';

interface AlertFields {
  seq?: unknown;
  gatewayId?: unknown;
  incarnation?: unknown;
  firstSeq?: unknown;
}

/**
 * Alerts from gateways, stored once each: an alert shares its gateway's seq space with the
 * partitions, so it is deduplicated by the same (gateway, incarnation, seq) record, in the
 * same transaction as the write.
 */
export class AlertRecordIntake implements Pick<AlertIntake, 'apply'> {
  constructor(
    private readonly backend: MergeBackend,
    private readonly aside: KeepAside,
  ) {}

  async apply(gatewayId: string, bytes: Uint8Array, receivedAtMs = Date.now()): Promise<IntakeOutcome> {
    const topic = `fogline/v1/${gatewayId}/alerts`;
    let alert: AlertFields;
    try {
      alert = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      await this.aside.reject(topic, `alert is not valid JSON (${(error as Error).message})`, bytes, receivedAtMs);
      return 'dead-letter';
    }
    if (alert === null || typeof alert !== 'object' || !Number.isSafeInteger(alert.seq) || alert.gatewayId !== gatewayId) {
      const reason = `alert seq was ${JSON.stringify(alert?.seq)} and gatewayId ${JSON.stringify(alert?.gatewayId)}, expected an integer seq from gateway ${gatewayId}`;
      await this.aside.reject(topic, reason, bytes, receivedAtMs);
      return 'dead-letter';
    }
    const seq = alert.seq as number;
    // Alerts from before incarnations read as the incarnation '', like format-1 envelopes.
    const incarnation = typeof alert.incarnation === 'string' ? alert.incarnation : '';
    const firstSeq = Number.isSafeInteger(alert.firstSeq) ? (alert.firstSeq as number) : 0;
    return this.backend.transaction(async (tx) => {
      // Held like an envelope's: the gateway's alerts and partitions are recorded one at a time.
      await tx.gatewayStats(gatewayId);
      const seen = (await tx.seen(gatewayId, incarnation)) ?? nothingSeen(firstSeq);
      if (hasSeen(seen, seq)) return 'duplicate' as const;
      tx.putSeen(gatewayId, incarnation, withSeen(seen, seq).seen);
      tx.putAlert(gatewayId, seq, receivedAtMs, bytes);
      tx.announce('alert', alert as Record<string, unknown>);
      return 'merged' as const;
    });
  }
}

import type { Logger } from 'pino';
import type { CloudMetrics } from '../ops/cloud-metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { PoisonGuard } from './poison-guard.js';

/** What the intake hands on, besides the store. */
export interface IntakeHooks {
  /** An alert merged for the first time (by this node): the webhooks take it from here. */
  readonly alertMerged?: (alert: Record<string, unknown>) => void;
  /** A gateway's report of a command's step. */
  readonly commandStatus?: (gatewayId: string, payload: Uint8Array) => Promise<void>;
  /** A gateway's status record says it is online: commands queued for it go again. */
  readonly gatewayOnline?: (gatewayId: string) => Promise<void>;
}

/** Distinct rule names alerts_total labels, at most; alerts of further rules count under rule="other". */
export const alertRuleLabelsMax = 1000;

/**
 * Routes what gateways publish (fogline/v1/{gatewayId}/{kind}...) into the store: partitions
 * and alerts exactly once, status and device registries as the latest record. Resolves once
 * the message is durably handled, which is when the broker is acknowledged; a message that
 * fails again and again is parked rather than retried forever.
 */
export class IntakeRouter {
  private readonly poisonGuard: PoisonGuard;

  constructor(
    private readonly store: CloudStore,
    private readonly metrics: CloudMetrics,
    private readonly logger: Logger,
    private readonly hooks: IntakeHooks = {},
  ) {
    this.poisonGuard = new PoisonGuard((topic, reason, payload) => store.quarantine.park(topic, reason, payload));
  }

  async receive(topic: string, payload: Uint8Array): Promise<void> {
    let outcome: 'done' | 'parked';
    try {
      outcome = await this.poisonGuard.run(topic, payload, () => this.route(topic, payload));
    } catch (error) {
      this.metrics.intakeFailures.inc();
      throw error;
    }
    if (outcome === 'parked') {
      this.metrics.parked.inc();
      this.logger.error({ topic }, 'message parked after failing intake again and again');
    }
  }

  /** Rule names seen, for alerts_total's labels: a gateway names its rules, so the set is capped (the rest count as "other"). */
  private readonly alertRules = new Set<string>();

  /** An alert merged for the first time, by its rule and severity (alerts_total: what a Prometheus alert rule watches). */
  private countAlert(alert: { rule?: unknown; severity?: unknown }): void {
    const named = typeof alert.rule === 'string' ? alert.rule.slice(0, 64) : 'unnamed';
    if (!this.alertRules.has(named) && this.alertRules.size < alertRuleLabelsMax) this.alertRules.add(named);
    const rule = this.alertRules.has(named) ? named : 'other';
    const severity = ['info', 'warning', 'critical'].includes(alert.severity as string) ? (alert.severity as string) : 'other';
    this.metrics.alertsByRule.inc({ rule, severity });
  }

  private async route(topic: string, payload: Uint8Array): Promise<void> {
    const [, , gatewayId, kind] = topic.split('/');
    this.metrics.bytesIn.inc(payload.length);
    if (kind === 'partitions') {
      this.metrics.envelopes.inc({ outcome: await this.store.partitions.apply(topic, payload) });
    } else if (kind === 'alerts') {
      const outcome = await this.store.alerts.apply(gatewayId, payload);
      this.metrics.alertMessages.inc({ outcome });
      if (outcome === 'merged') {
        const alert = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
        this.countAlert(alert);
        this.hooks.alertMerged?.(alert);
      }
    } else if (kind === 'command-status') {
      await this.hooks.commandStatus?.(gatewayId, payload);
    } else if (kind === 'status' || kind === 'devices') {
      const record = await this.recordOf(topic, kind, payload);
      if (!record) return;
      if (kind === 'status') {
        await this.store.registry.putStatus(gatewayId, { ...record, receivedAtMs: Date.now() });
        if (record.online === true) await this.hooks.gatewayOnline?.(gatewayId);
      } else await this.store.registry.putDevices(gatewayId, record as Record<string, Record<string, string>>);
    }
  }

  /** A status or registry record as an object; a malformed one is dead-lettered with the reason (the gateway stays connected). */
  private async recordOf(topic: string, kind: string, payload: Uint8Array): Promise<Record<string, unknown> | undefined> {
    let record: unknown;
    try {
      record = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch (error) {
      await this.store.quarantine.reject(topic, `${kind} record is not valid JSON (${(error as Error).message})`, payload);
      return undefined;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      await this.store.quarantine.reject(topic, `${kind} record was ${JSON.stringify(record)}, expected an object`, payload);
      return undefined;
    }
    return record as Record<string, unknown>;
  }
}

import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CloudMetrics } from '../ops/cloud-metrics.js';

/** One destination of alerts, as the config gives it. */
export interface WebhookSpec {
  readonly name: string;
  readonly url: string;
  /** Only alerts of these severities go here. */
  readonly severities: readonly ('info' | 'warning' | 'critical')[];
  /** The key the body is signed with (HMAC-SHA256, in X-Fogline-Signature); from the config or FOGLINE_CLOUD_WEBHOOK_SECRET. */
  readonly secret?: string;
  readonly timeoutMs: number;
  /** Attempts per alert, at most; then it is dropped (counted). */
  readonly attemptsMax: number;
  /** The wait after the first failure; it doubles each time, up to backoffMsMax. */
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
  /** Deliveries waiting (new and retrying), at most; past it the oldest is dropped (counted). */
  readonly queueMax: number;
}

interface Delivery {
  readonly id: string;
  readonly body: string;
  attempts: number;
  notBeforeMs: number;
}

/** The signature a receiver checks: HMAC-SHA256 of `${timestamp}.${body}` under the shared secret, hex. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Sends each alert the cloud merges (once, on the node that merged it) to the webhooks of its
 * severity: a POST of the alert as JSON, signed, with X-Fogline-Delivery (the same id on every
 * retry, for the receiver to deduplicate). A delivery that fails (no answer within timeoutMs,
 * or a status other than 2xx) is retried with exponential backoff; the queue is bounded.
 * Deliveries wait in memory: a cloud that stops loses what had not been delivered (counted as
 * dropped when it stops).
 */
export class WebhookDispatcher {
  private readonly queues: Map<WebhookSpec, Delivery[]>;
  private readonly running = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    hooks: readonly WebhookSpec[],
    private readonly metrics: CloudMetrics,
    private readonly logger: Logger,
    /** How often retries due are looked for. */
    tickMs = 250,
  ) {
    this.queues = new Map(hooks.map((hook) => [hook, []]));
    if (hooks.length > 0) {
      this.timer = setInterval(() => this.pump(), tickMs);
      this.timer.unref();
    }
  }

  /** Queues an alert for every webhook of its severity. */
  enqueue(alert: Record<string, unknown>): void {
    if (this.stopped) return;
    const body = JSON.stringify(alert);
    for (const [hook, queue] of this.queues) {
      if (!hook.severities.includes(alert.severity as 'info')) continue;
      queue.push({ id: randomUUID(), body, attempts: 0, notBeforeMs: 0 });
      if (queue.length > hook.queueMax) {
        queue.shift();
        this.metrics.webhookDeliveries.inc({ webhook: hook.name, outcome: 'dropped' });
      }
    }
    this.pump();
  }

  /** Deliveries waiting, per webhook. */
  pending(): Record<string, number> {
    return Object.fromEntries([...this.queues].map(([hook, queue]) => [hook.name, queue.length]));
  }

  /** One delivery at a time per webhook, in order: a receiver sees alerts as they came. */
  private readonly busy = new Set<WebhookSpec>();

  private pump(): void {
    const nowMs = Date.now();
    for (const [hook, queue] of this.queues) {
      const next = queue[0];
      if (!next || this.busy.has(hook) || next.notBeforeMs > nowMs) continue;
      this.busy.add(hook);
      const attempt = this.deliver(hook, queue, next).finally(() => {
        this.busy.delete(hook);
        this.running.delete(attempt);
      });
      this.running.add(attempt);
    }
  }

  private async deliver(hook: WebhookSpec, queue: Delivery[], delivery: Delivery): Promise<void> {
    delivery.attempts++;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'fogline-cloud',
      'x-fogline-delivery': delivery.id,
      'x-fogline-timestamp': timestamp,
      'x-fogline-attempt': String(delivery.attempts),
    };
    if (hook.secret) headers['x-fogline-signature'] = webhookSignature(hook.secret, timestamp, delivery.body);
    let failure: string | undefined;
    try {
      const response = await fetch(hook.url, { method: 'POST', headers, body: delivery.body, signal: AbortSignal.timeout(hook.timeoutMs) });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) failure = `answered ${response.status}`;
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure === undefined) {
      queue.shift();
      this.metrics.webhookDeliveries.inc({ webhook: hook.name, outcome: 'delivered' });
      return;
    }
    if (delivery.attempts >= hook.attemptsMax) {
      queue.shift();
      this.metrics.webhookDeliveries.inc({ webhook: hook.name, outcome: 'dropped' });
      this.logger.error({ webhook: hook.name, attempts: delivery.attempts, failure }, 'webhook delivery given up');
      return;
    }
    this.metrics.webhookDeliveries.inc({ webhook: hook.name, outcome: 'retried' });
    delivery.notBeforeMs = Date.now() + Math.min(hook.backoffMsMax, hook.backoffMsMin * 2 ** (delivery.attempts - 1));
    this.logger.warn({ webhook: hook.name, attempt: delivery.attempts, failure }, 'webhook delivery failed; retrying');
  }

  /** Stops retrying; what waits is dropped and counted. Waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.running);
    for (const [hook, queue] of this.queues) {
      if (queue.length > 0) this.metrics.webhookDeliveries.inc({ webhook: hook.name, outcome: 'dropped' }, queue.length);
      queue.length = 0;
    }
  }
}

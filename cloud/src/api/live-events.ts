import type { SSEStreamingApi } from 'hono/streaming';
import type { CloudMetrics } from '../ops/cloud-metrics.js';

export interface LiveLimits {
  /** Dashboards connected at once; one more is refused with 503 (counted). */
  readonly clientsMax: number;
  /** Events written to a client and not yet flushed; a client this far behind is disconnected (counted). */
  readonly pendingEventsMax: number;
}

interface Subscriber {
  readonly stream: SSEStreamingApi;
  readonly dropped: () => void;
  pending: number;
}

/**
 * The server-sent-events hub behind GET /api/v1/events: every connected dashboard gets every
 * event. Both ends are bounded: so many clients, and so many unflushed events per client, so
 * a stalled browser tab cannot make the cloud buffer without end; it reconnects (EventSource
 * does) and starts again from the current overview.
 */
export class LiveEvents {
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    readonly limits: LiveLimits,
    private readonly metrics: CloudMetrics,
  ) {}

  get clientCount(): number {
    return this.subscribers.size;
  }

  /** False, and counted as refused, when clientsMax are connected. */
  admits(): boolean {
    if (this.subscribers.size < this.limits.clientsMax) return true;
    this.metrics.liveRefused.inc();
    return false;
  }

  /**
   * Adds a client; undefined when clientsMax are connected. The result removes it again;
   * `dropped` is called when the hub disconnects a client that fell behind.
   */
  subscribe(stream: SSEStreamingApi, dropped: () => void): (() => void) | undefined {
    if (!this.admits()) return undefined;
    const subscriber: Subscriber = { stream, dropped, pending: 0 };
    this.subscribers.add(subscriber);
    this.metrics.liveClients.set(this.subscribers.size);
    return () => {
      this.subscribers.delete(subscriber);
      this.metrics.liveClients.set(this.subscribers.size);
    };
  }

  /** Sends one event to every client, as JSON. */
  publish(event: string, data: unknown): void {
    const message = { event, data: JSON.stringify(data) };
    for (const subscriber of this.subscribers) this.send(subscriber, message);
  }

  private send(subscriber: Subscriber, message: { event: string; data: string }): void {
    if (subscriber.pending >= this.limits.pendingEventsMax) {
      this.metrics.liveDropped.inc();
      this.disconnect(subscriber);
      return;
    }
    subscriber.pending++;
    subscriber.stream.writeSSE(message).then(
      () => subscriber.pending--,
      () => this.disconnect(subscriber), // the connection is gone: free its place
    );
  }

  private disconnect(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.metrics.liveClients.set(this.subscribers.size);
    void subscriber.stream.close().catch(() => {});
    subscriber.dropped();
  }
}

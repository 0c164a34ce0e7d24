import type { LiveEvents } from './live-events.js';
import type { Overview } from './overview.js';

/**
 * What the live dashboard is sent, and when: the overview every intervalMs while something
 * was merged since the last one (and every heartbeatMs regardless, which also keeps proxies
 * from closing an idle stream). Alerts and risk scores go straight to LiveEvents as they
 * happen. Nothing is computed while no dashboard is connected.
 */
export class LiveFeed {
  private changed = true;
  private lastPushMs = 0;
  private timer?: NodeJS.Timeout;
  private pushing = false;

  constructor(
    private readonly live: LiveEvents,
    private readonly overview: () => Promise<Overview>,
    private readonly intervalMs: number,
    private readonly heartbeatMs = 15_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Something was merged: the next tick sends a fresh overview. */
  markChanged(): void {
    this.changed = true;
  }

  private async tick(): Promise<void> {
    if (this.pushing || this.live.clientCount === 0) return;
    if (!this.changed && Date.now() - this.lastPushMs < this.heartbeatMs) return;
    this.pushing = true;
    this.changed = false;
    try {
      this.live.publish('overview', await this.overview());
      this.lastPushMs = Date.now();
    } catch {
      this.changed = true; // the store is closing, or busy: the next tick tries again
    } finally {
      this.pushing = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

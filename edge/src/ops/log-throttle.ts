/**
 * Lets a repeated log line through at most once per intervalMs and says how many were held
 * back, so that a full disk or a flood of bad publishes does not become a flood of log lines.
 * The metrics count every occurrence; the log shows that it is happening.
 */
export class LogThrottle {
  private lastMs = Number.NEGATIVE_INFINITY;
  private held = 0;

  constructor(readonly intervalMs = 10_000) {}

  /** The number of lines held back since the last one let through, or undefined to hold this one back too. */
  take(nowMs = Date.now()): number | undefined {
    if (nowMs - this.lastMs < this.intervalMs) {
      this.held++;
      return undefined;
    }
    const held = this.held;
    this.held = 0;
    this.lastMs = nowMs;
    return held;
  }
}

/**
 * A token bucket per device: messagesPerSecondMax tokens a second, a burst of one second's
 * worth. Buckets exist for connected devices only (forget() on disconnect), so the map is
 * bounded by the connections the broker accepts.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; lastMs: number }>();

  constructor(readonly messagesPerSecondMax: number) {}

  /** Takes a token; returns 0 if one was there, else the ms until the next one. */
  take(deviceId: string, nowMs = Date.now()): number {
    let bucket = this.buckets.get(deviceId);
    if (!bucket) {
      bucket = { tokens: this.messagesPerSecondMax, lastMs: nowMs };
      this.buckets.set(deviceId, bucket);
    }
    bucket.tokens = Math.min(this.messagesPerSecondMax, bucket.tokens + ((nowMs - bucket.lastMs) * this.messagesPerSecondMax) / 1000);
    bucket.lastMs = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.messagesPerSecondMax);
  }

  forget(deviceId: string): void {
    this.buckets.delete(deviceId);
  }
}

/**
 * The event time below which no more data is expected: the largest timestamp seen minus
 * the allowed lateness. It only moves forward (Structured Streaming's rule), also when moved
 * by hand, as a gateway does when a window has been idle or on restart from a checkpoint.
 */
export class Watermark {
  private maxEventTimeMs = Number.NEGATIVE_INFINITY;
  private current: number;

  constructor(
    readonly allowedLatenessMs: number,
    initialMs = Number.NEGATIVE_INFINITY,
  ) {
    if (!Number.isInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new RangeError(`watermark: allowedLatenessMs was ${allowedLatenessMs}, expected an integer >= 0`);
    }
    this.current = initialMs;
  }

  get valueMs(): number {
    return this.current;
  }

  get maxEventTimeSeenMs(): number {
    return this.maxEventTimeMs;
  }

  observe(eventTimeMs: number): void {
    if (eventTimeMs > this.maxEventTimeMs) {
      this.maxEventTimeMs = eventTimeMs;
      this.advanceTo(eventTimeMs - this.allowedLatenessMs);
    }
  }

  advanceTo(ms: number): void {
    if (ms > this.current) this.current = ms;
  }

  /**
   * The one way back: a watermark beyond `ms` cannot be right (it came from a clock that ran
   * ahead and was corrected), so it is pulled back to `ms`. Windows already closed stay closed
   * downstream; new values for their span open new windows, which merge like any other.
   */
  clampTo(ms: number): void {
    if (this.current > ms) this.current = ms;
    if (this.maxEventTimeMs > ms + this.allowedLatenessMs) this.maxEventTimeMs = ms + this.allowedLatenessMs;
  }
}

/** How readings are grouped by their own timestamps (event time), Structured Streaming style. */
export type WindowSpec =
  | { readonly kind: 'tumbling'; readonly sizeMs: number }
  | { readonly kind: 'sliding'; readonly sizeMs: number; readonly slideMs: number }
  | { readonly kind: 'session'; readonly gapMs: number };

/** A window of event time, [startMs, endMs). */
export interface EventWindow {
  readonly startMs: number;
  readonly endMs: number;
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`window: ${name} was ${value}, expected a positive integer of ms`);
}

/** Checks a spec, naming the field and value at fault. */
export function checkWindowSpec(spec: WindowSpec): WindowSpec {
  switch (spec.kind) {
    case 'tumbling':
      positiveInteger(spec.sizeMs, 'sizeMs');
      break;
    case 'sliding':
      positiveInteger(spec.sizeMs, 'sizeMs');
      positiveInteger(spec.slideMs, 'slideMs');
      if (spec.slideMs > spec.sizeMs) throw new RangeError(`window: slideMs was ${spec.slideMs}, expected at most sizeMs (${spec.sizeMs})`);
      break;
    case 'session':
      positiveInteger(spec.gapMs, 'gapMs');
      break;
    default:
      throw new RangeError(`window: kind was ${JSON.stringify((spec as { kind: unknown }).kind)}, expected tumbling, sliding or session`);
  }
  return spec;
}

/**
 * The fixed windows a timestamp falls in: one for tumbling, size/slide for sliding, aligned
 * to the epoch as Spark aligns them. Session windows depend on the neighbours, so the
 * aggregator places them.
 */
export function assignWindows(spec: WindowSpec, ts: number): EventWindow[] {
  if (spec.kind === 'tumbling') {
    const startMs = ts - mod(ts, spec.sizeMs);
    return [{ startMs, endMs: startMs + spec.sizeMs }];
  }
  if (spec.kind === 'sliding') {
    const windows: EventWindow[] = [];
    const lastStart = ts - mod(ts, spec.slideMs);
    for (let startMs = lastStart; startMs > ts - spec.sizeMs; startMs -= spec.slideMs) {
      windows.unshift({ startMs, endMs: startMs + spec.sizeMs });
    }
    return windows;
  }
  return [{ startMs: ts, endMs: ts + spec.gapMs }];
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** Incarnations listed per gateway, at most (the newest); older ones are forgotten. */
export const incarnationsListedMax = 8;

export interface IncarnationInfo {
  readonly id: string;
  readonly firstSeenMs: number;
  lastSeenMs: number;
  /** The gateway's clock on the first envelope of this incarnation the cloud saw. */
  readonly firstCreatedAtMs: number;
}

export interface IncarnationView {
  /** The newest incarnation: the one the gateway runs now. */
  incarnation?: string;
  incarnations?: IncarnationInfo[];
  /** Set when two incarnations were both writing at once: two live processes with one gateway id. */
  incarnationConflict?: { readonly incarnations: readonly string[]; readonly detectedAtMs: number };
}

export type IncarnationNews = 'same' | 'new' | 'conflict';

/**
 * Notes an envelope's incarnation on a gateway's record. A reinstalled gateway is a new
 * incarnation: it becomes the current one. An older incarnation still creating envelopes
 * after the newest began (by the envelope's own clock, so envelopes merely queued in a broker
 * during the hand-over do not count) is a second live process with the same gateway id: a
 * conflict, made visible rather than merged silently.
 */
export function noteIncarnation(view: IncarnationView, id: string, createdAtMs: number, receivedAtMs: number): IncarnationNews {
  view.incarnations ??= [];
  const list = view.incarnations;
  const known = list.find((i) => i.id === id);
  if (known) {
    known.lastSeenMs = receivedAtMs;
    const current = list.find((i) => i.id === view.incarnation);
    if (id === view.incarnation || !current || createdAtMs <= current.firstCreatedAtMs) return 'same';
    view.incarnationConflict = { incarnations: [current.id, id], detectedAtMs: receivedAtMs };
    return 'conflict';
  }
  list.push({ id, firstSeenMs: receivedAtMs, lastSeenMs: receivedAtMs, firstCreatedAtMs: createdAtMs });
  if (list.length > incarnationsListedMax) list.splice(0, list.length - incarnationsListedMax);
  view.incarnation = id;
  return 'new';
}

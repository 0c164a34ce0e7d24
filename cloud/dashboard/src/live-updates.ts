import { eventsUrl } from './api-client.js';
import type { Alert, Overview } from './api-types.js';
import { byId } from './dom.js';

export interface LiveHandlers {
  overview(overview: Overview): void;
  alert(alert: Alert): void;
  risk(): void;
}

/** After a refusal (503: the cloud's dashboard limit), EventSource gives up; this page tries again. */
const retryAfterRefusalMs = 10_000;

/**
 * Follows /api/v1/events. EventSource reconnects by itself after a drop (a cloud restart, a
 * stalled tab the cloud disconnected); the badge in the header says which state it is in.
 */
export function followLiveEvents(handlers: LiveHandlers): EventSource {
  const badge = byId('live-status');
  const show = (state: string, text: string) => {
    badge.dataset.state = state;
    badge.textContent = text;
  };
  const source = new EventSource(eventsUrl());
  source.addEventListener('open', () => show('open', 'live'));
  source.addEventListener('error', () => {
    show('error', 'reconnecting…');
    if (source.readyState === EventSource.CLOSED) setTimeout(() => followLiveEvents(handlers), retryAfterRefusalMs);
  });
  source.addEventListener('overview', (event) => handlers.overview(JSON.parse((event as MessageEvent).data)));
  source.addEventListener('alert', (event) => handlers.alert(JSON.parse((event as MessageEvent).data)));
  source.addEventListener('risk', () => handlers.risk());
  return source;
}

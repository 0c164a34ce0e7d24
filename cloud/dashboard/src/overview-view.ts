import type { Overview } from './api-types.js';
import { dataClock } from './data-clock.js';
import { byId, el } from './dom.js';
import { formatBytes, formatInteger, formatNumber, formatPercent, formatTime } from './format.js';

/** One card: data-testid names it, data-value holds the exact figure the API gave (for tests and tools). */
function card(id: string, label: string, value: string, exact: number, sub: string) {
  return el(
    'div',
    { class: 'card', 'data-testid': `overview-${id}`, 'data-value': exact },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value),
    el('div', { class: 'sub' }, sub),
  );
}

export function renderOverview(overview: Overview): void {
  const { gateways, devices, readings, bandwidth, risk } = overview;
  const saved = bandwidth.savedRatio;
  dataClock.latestMs = readings.latestWindowEndMs;
  byId('overview').replaceChildren(
    card(
      'gateways-online',
      'Gateways online',
      `${gateways.online} / ${gateways.total}`,
      gateways.online,
      `${gateways.total} known to the cloud`,
    ),
    card('devices', 'Devices', formatInteger(devices.registered), devices.registered, `${formatInteger(devices.connected)} connected now`),
    card(
      'readings-total',
      'Readings merged',
      formatInteger(readings.total),
      readings.total,
      readings.latestWindowEndMs > 0
        ? `exactly once; data up to ${formatTime(readings.latestWindowEndMs)}`
        : 'exactly once, from every gateway',
    ),
    card('readings-per-second', 'Readings / s', formatNumber(readings.perSecond), readings.perSecond, 'merged, over the last minute'),
    card(
      'bandwidth-saved',
      'Bandwidth saved',
      saved === null ? '–' : formatPercent(saved),
      saved ?? 0,
      `${formatBytes(bandwidth.bytesFromDevices)} in, ${formatBytes(bandwidth.bytesForwarded)} forwarded`,
    ),
    card(
      'devices-at-risk',
      'At risk (24 h)',
      formatInteger(risk.devicesAlerting),
      risk.devicesAlerting,
      risk.devicesScored > 0 ? `of ${formatInteger(risk.devicesScored)} scored` : 'no model trained yet',
    ),
  );
}

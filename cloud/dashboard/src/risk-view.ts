import { ApiError, getJson, postJson } from './api-client.js';
import type { DeviceRisk } from './api-types.js';
import { byId, el } from './dom.js';
import { formatNumber, formatPercent, formatTime } from './format.js';

const shown = 15;

/** The metric a feature such as dispenserVibration.trend is computed from. */
export const metricOfFeature = (feature: string) => feature.slice(0, feature.lastIndexOf('.')) || feature;

/**
 * The risk ranking: the devices most likely to fail in the next 24 h, from the cloud's model.
 * A click drills down: the device's drivers here, and its most telling metric in the chart.
 */
export class RiskView {
  private selected?: string;

  constructor(private readonly onSelect: (deviceId: string, metric?: string) => Promise<void>) {}

  async refresh(): Promise<void> {
    const { scoredAtMs, devices } = await getJson<{ scoredAtMs: number; devices: DeviceRisk[] }>('maintenance/risk', { limit: shown });
    byId('risk-note').textContent =
      scoredAtMs === 0
        ? 'No model yet: the cloud trains one per kind of device once its history holds failures.'
        : `Scored ${formatTime(scoredAtMs)}; red rows are above their model's alert threshold.`;
    const rows = devices.map((device) => {
      const row = el(
        'tr',
        { 'data-device': device.deviceId, class: device.alert ? 'alerting' : '' },
        el('td', {}, device.deviceId),
        el('td', {}, device.kind),
        el('td', { class: `num ${device.alert ? 'risk-high' : ''}` }, formatPercent(device.risk)),
        el('td', {}, device.drivers[0]?.feature ?? '–'),
      );
      if (device.deviceId === this.selected) row.classList.add('selected');
      row.addEventListener('click', () => void this.select(device.deviceId));
      return row;
    });
    byId('risk-table')
      .querySelector('tbody')
      ?.replaceChildren(...rows);
  }

  /**
   * The maintenance action: a service command to the device (a technician's visit), through
   * its gateway; the note beside it follows the command's status.
   */
  private serviceButton(deviceId: string): HTMLElement {
    const note = el('span', { class: 'note', 'data-testid': 'service-status' });
    const button = el(
      'button',
      { type: 'button', 'data-testid': 'send-service', title: 'Send the device a service command' },
      'Send a technician',
    );
    button.addEventListener('click', async () => {
      try {
        const command = await postJson<{ id: string; status: string }>(`devices/${encodeURIComponent(deviceId)}/commands`, {
          name: 'service',
        });
        note.textContent = ` service ${command.status}`;
        for (let i = 0; i < 60; i++) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          const now = await getJson<{ status: string }>(`commands/${encodeURIComponent(command.id)}`);
          note.textContent = ` service ${now.status}`;
          note.dataset.status = now.status;
          if (['acknowledged', 'expired', 'failed'].includes(now.status)) break;
        }
      } catch (error) {
        note.textContent =
          error instanceof ApiError && error.status === 403
            ? ' sending commands needs the admin token (#token=<admin token>)'
            : ` not sent: ${(error as Error).message}`;
      }
    });
    return el('div', { class: 'actions' }, button, note);
  }

  /** Shows why a device is at risk, and points the time series at it. */
  async select(deviceId: string): Promise<void> {
    this.selected = deviceId;
    for (const row of byId('risk-table').querySelectorAll('tbody tr')) {
      row.classList.toggle('selected', (row as HTMLElement).dataset.device === deviceId);
    }
    const detail = byId('risk-detail');
    const risk = await getJson<DeviceRisk>(`maintenance/devices/${encodeURIComponent(deviceId)}`).catch(() => undefined);
    detail.hidden = false;
    detail.dataset.device = deviceId;
    if (!risk) {
      detail.replaceChildren(`${deviceId}: no risk score (no model for its kind yet).`);
      await this.onSelect(deviceId);
      return;
    }
    detail.replaceChildren(
      el('strong', {}, `${deviceId} (${risk.kind}): ${formatPercent(risk.risk)} chance of failing within 24 h`),
      this.serviceButton(deviceId),
      el('div', {}, `From the hour starting ${formatTime(risk.hourMs)}. What pushes it up most (standardised value × weight):`),
      el(
        'ul',
        {},
        ...risk.drivers.map((d) => el('li', {}, `${d.feature} = ${formatNumber(d.value)} (contribution ${formatNumber(d.contribution)})`)),
      ),
    );
    // The chart shows the strongest driver that is a signal: events (counts of rare
    // occurrences) and the time since repair make poor time series.
    const signal = risk.drivers.find((d) => d.feature !== 'hoursSinceRepair' && !d.feature.startsWith('event.'));
    await this.onSelect(deviceId, signal ? metricOfFeature(signal.feature) : undefined);
  }
}

import { getJson } from './api-client.js';
import type { Alert } from './api-types.js';
import { byId, el } from './dom.js';
import { formatNumber, formatTime } from './format.js';

/** Rows kept on the page; older ones scroll off (the API has them all). */
const rowsMax = 20;

/** The latest alerts from the gateways' rules, newest first; live ones are added as they come. */
export class AlertsView {
  private readonly body = byId('alerts-table').querySelector('tbody') as HTMLTableSectionElement;

  async refresh(): Promise<void> {
    const { alerts } = await getJson<{ alerts: Alert[] }>('alerts', { limit: rowsMax });
    this.body.replaceChildren(...alerts.map((alert) => this.row(alert)));
    this.note();
  }

  /** An alert from the live stream goes on top. */
  add(alert: Alert): void {
    const row = this.row(alert);
    row.classList.add('fresh');
    this.body.prepend(row);
    while (this.body.rows.length > rowsMax) this.body.deleteRow(-1);
    this.note();
  }

  private note(): void {
    byId('alerts-note').textContent = this.body.rows.length === 0 ? 'No alerts: the gateways raise them from their rules.' : '';
  }

  private row(alert: Alert): HTMLElement {
    return el(
      'tr',
      { class: `severity-${alert.severity ?? 'warning'}`, title: alert.message ?? '' },
      el('td', {}, formatTime(alert.ts)),
      el('td', {}, alert.deviceId),
      el('td', {}, alert.metric),
      el('td', {}, alert.rule),
      el('td', { class: 'num' }, formatNumber(alert.value)),
    );
  }
}

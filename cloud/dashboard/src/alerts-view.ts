import { ApiError, getJson, postJson } from './api-client.js';
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
    const status = alert.state?.status ?? 'open';
    return el(
      'tr',
      { class: `severity-${alert.severity ?? 'warning'}`, title: alert.message ?? '', 'data-alert': alert.id ?? '', 'data-status': status },
      el('td', {}, formatTime(alert.ts)),
      el('td', {}, alert.deviceId),
      el('td', {}, alert.metric),
      el('td', {}, alert.rule),
      el('td', { class: 'num' }, formatNumber(alert.value)),
      el('td', { class: 'state' }, status, ...this.actions(alert, status)),
    );
  }

  /** Acknowledge (open alerts) and Resolve (all but resolved ones): the acknowledge/resolve cycle. */
  private actions(alert: Alert, status: string): HTMLElement[] {
    if (!alert.id || status === 'resolved') return [];
    const button = (label: string, path: 'ack' | 'resolve') => {
      const title = path === 'ack' ? 'Acknowledge: seen, being handled' : 'Resolve: handled (final)';
      const b = el('button', { type: 'button', 'data-action': path, title }, label);
      b.addEventListener('click', () => void this.change(alert.id as string, path));
      return b;
    };
    return status === 'open' ? [button('Ack', 'ack'), button('Resolve', 'resolve')] : [button('Resolve', 'resolve')];
  }

  private async change(id: string, path: 'ack' | 'resolve'): Promise<void> {
    try {
      await postJson(`alerts/${path}`, { id, by: 'dashboard' });
      await this.refresh();
    } catch (error) {
      byId('alerts-note').textContent =
        error instanceof ApiError && error.status === 403
          ? 'Acknowledging and resolving need the admin token: open the dashboard with #token=<admin token>.'
          : `Not changed: ${(error as Error).message}`;
    }
  }
}

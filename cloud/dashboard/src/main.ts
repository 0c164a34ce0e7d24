import { AlertsView } from './alerts-view.js';
import { ApiError, getJson, useToken } from './api-client.js';
import type { Device, DeviceRisk, Overview } from './api-types.js';
import { DistributionView } from './distribution-view.js';
import { byId, el, setOptions } from './dom.js';
import { followLiveEvents } from './live-updates.js';
import { renderOverview } from './overview-view.js';
import { RiskView } from './risk-view.js';
import { SeriesView } from './series-view.js';

/** Charts are redrawn on new data at most this often; the overview follows every event. */
const chartRefreshMsMin = 5_000;

/** Events are counts (event.failure, event.door-open); a reading metric makes the better default. */
const preferReadings = (metrics: string[]) => metrics.find((m) => !m.startsWith('event.')) ?? metrics[0];

/** The cloud asks for its token: show the form, and start again once one is entered. */
function askForToken(): void {
  byId('token-banner').hidden = false;
  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    useToken(byId<HTMLInputElement>('token-input').value);
    location.reload();
  });
}

async function start(): Promise<void> {
  const series: SeriesView = new SeriesView((deviceId) => showDevice(deviceId));
  const distribution = new DistributionView();
  const risk = new RiskView((deviceId, metric) => showDevice(deviceId, metric));
  const alerts = new AlertsView();

  /** Points the time series at a device, with its own metrics (and the one asked for, if any). */
  async function showDevice(deviceId: string, metric?: string): Promise<void> {
    series.device.value = deviceId;
    const device = await getJson<{ metrics: string[] }>(`devices/${encodeURIComponent(deviceId)}`).catch(() => ({
      metrics: [] as string[],
    }));
    setOptions(series.metric, device.metrics, metric ?? preferReadings(device.metrics));
    if (metric && device.metrics.includes(metric)) series.metric.value = metric;
    await series.refresh();
  }

  const [overview, { metrics }, { devices }, ranking] = await Promise.all([
    getJson<Overview>('overview'),
    getJson<{ metrics: string[] }>('metric-names'),
    getJson<{ devices: Device[] }>('devices', { limit: 1000 }),
    getJson<{ devices: DeviceRisk[] }>('maintenance/risk', { limit: 1 }).catch(() => ({ devices: [] })),
  ]);
  renderOverview(overview);
  byId('device-list').replaceChildren(...devices.map((d) => el('option', { value: d.deviceId })));
  setOptions(distribution.metric, metrics, preferReadings(metrics));
  await Promise.all([risk.refresh(), alerts.refresh(), distribution.refresh()]);
  // The device most at risk is the first thing an operator wants to see; otherwise any device.
  const first = ranking.devices[0]?.deviceId ?? devices[0]?.deviceId;
  if (ranking.devices[0]) await risk.select(ranking.devices[0].deviceId);
  else if (first) await showDevice(first);

  let lastTotal = overview.readings.total;
  let lastChartRefreshMs = Date.now();
  followLiveEvents({
    overview: (next) => {
      renderOverview(next);
      if (next.readings.total === lastTotal || Date.now() - lastChartRefreshMs < chartRefreshMsMin) return;
      lastTotal = next.readings.total;
      lastChartRefreshMs = Date.now();
      void getJson<{ metrics: string[] }>('metric-names').then(({ metrics }) => setOptions(distribution.metric, metrics));
      void series.refresh();
      void distribution.refresh();
    },
    alert: (alert) => alerts.add(alert),
    risk: () => void risk.refresh(),
  });
  document.body.dataset.ready = 'true';
}

start().catch((error: unknown) => {
  if (error instanceof ApiError && error.status === 401) return askForToken();
  document.body.dataset.ready = 'error';
  byId('overview').replaceChildren(el('div', { class: 'card' }, `The dashboard could not load: ${(error as Error).message}`));
});

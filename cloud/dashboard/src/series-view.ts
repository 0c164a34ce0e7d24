import uPlot from 'uplot';
import { getJson } from './api-client.js';
import type { Coverage, SeriesPoint } from './api-types.js';
import { dataClock } from './data-clock.js';
import { byId } from './dom.js';
import { describeCoverage } from './format.js';

const hourMs = 3_600_000;

/**
 * One device's metric over time: the mean of each window (or hour, over longer ranges) with
 * its min and max as a band. The container's data-points says how many points were drawn.
 */
export class SeriesView {
  private chart?: uPlot;
  private readonly container = byId('series-chart');
  readonly device = byId<HTMLInputElement>('series-device');
  readonly metric = byId<HTMLSelectElement>('series-metric');
  private readonly range = byId<HTMLSelectElement>('series-range');
  private readonly note = byId('series-note');

  constructor(private readonly onDeviceChange: (deviceId: string) => Promise<void>) {
    this.device.addEventListener('change', () => void this.onDeviceChange(this.device.value));
    this.metric.addEventListener('change', () => void this.refresh());
    this.range.addEventListener('change', () => void this.refresh());
    new ResizeObserver(() => this.chart?.setSize(this.size())).observe(this.container);
  }

  private size() {
    return { width: Math.max(320, this.container.clientWidth), height: 300 };
  }

  async refresh(): Promise<void> {
    const deviceId = this.device.value;
    const metric = this.metric.value;
    if (!deviceId || !metric) return;
    const rangeMs = Number(this.range.value);
    const { points, coverage } = await getJson<{ points: SeriesPoint[]; coverage: Coverage }>('series', {
      deviceId,
      metric,
      from: Math.max(0, dataClock.nowMs() - rangeMs),
      to: dataClock.nowMs(),
      step: rangeMs > 24 * hourMs ? 'hour' : 'window',
    });
    const data: uPlot.AlignedData = [
      points.map((p) => p.windowStartMs / 1000),
      points.map((p) => p.mean),
      points.map((p) => p.min),
      points.map((p) => p.max),
    ];
    this.note.textContent =
      points.length === 0
        ? `no ${metric} from ${deviceId} in this range`
        : `${points.length} ${rangeMs > 24 * hourMs ? 'hours' : 'windows'}, ${describeCoverage(coverage)}`;
    this.container.dataset.points = String(points.length);
    this.container.dataset.series = `${deviceId}/${metric}`;
    if (!this.chart) this.chart = this.create(data);
    else this.chart.setData(data);
  }

  private create(data: uPlot.AlignedData): uPlot {
    const options: uPlot.Options = {
      ...this.size(),
      series: [
        {},
        { label: 'mean', stroke: '#2563eb', width: 2, points: { show: true, size: 4 } },
        { label: 'min', stroke: '#93c5fd', width: 1, dash: [4, 4] },
        { label: 'max', stroke: '#93c5fd', width: 1, dash: [4, 4] },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(37, 99, 235, 0.08)' }],
      axes: [{}, { size: 60 }],
    };
    return new uPlot(options, data, this.container);
  }
}

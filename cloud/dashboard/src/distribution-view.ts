import uPlot from 'uplot';
import { getJson } from './api-client.js';
import type { Fleet } from './api-types.js';
import { dataClock } from './data-clock.js';
import { byId, el } from './dom.js';
import { describeCoverage, formatInteger, formatNumber } from './format.js';

/** 0, 0.05, ... 1: the points of each group's quantile curve. */
const quantiles = Array.from({ length: 21 }, (_, i) => i / 20);
const colours = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

/**
 * The fleet's distribution of one metric: each group's quantile curve (value at quantile q,
 * from the merged sketches, so exact to the sketch's accuracy over the whole fleet) and a
 * table of its headline figures.
 */
export class DistributionView {
  private chart?: uPlot;
  private groups: string[] = [];
  private readonly container = byId('distribution-chart');
  readonly metric = byId<HTMLSelectElement>('distribution-metric');
  private readonly groupBy = byId<HTMLSelectElement>('distribution-group');
  private readonly range = byId<HTMLSelectElement>('distribution-range');

  constructor() {
    for (const control of [this.metric, this.groupBy, this.range]) control.addEventListener('change', () => void this.refresh());
    new ResizeObserver(() => this.chart?.setSize(this.size())).observe(this.container);
  }

  private size() {
    return { width: Math.max(320, this.container.clientWidth), height: 280 };
  }

  async refresh(): Promise<void> {
    if (!this.metric.value) return;
    const rangeMs = Number(this.range.value);
    const fleet = await getJson<Fleet>('fleet', {
      metric: this.metric.value,
      groupBy: this.groupBy.value,
      from: rangeMs === 0 ? 0 : Math.max(0, dataClock.nowMs() - rangeMs),
      to: dataClock.nowMs(),
      quantiles: quantiles.join(','),
    });
    const groups = Object.entries(fleet.groups).slice(0, colours.length);
    byId('distribution-note').textContent = `${this.range.selectedOptions[0]?.text ?? ''} ${describeCoverage(fleet.coverage)}`;
    this.container.dataset.resolution = fleet.coverage.resolution;
    const data: uPlot.AlignedData = [quantiles, ...groups.map(([, g]) => g.quantiles.map(([, value]) => value))];
    this.container.dataset.groups = String(groups.length);
    const names = groups.map(([name]) => name);
    if (!this.chart || names.join() !== this.groups.join()) {
      this.chart?.destroy();
      this.groups = names;
      this.chart = new uPlot(this.options(names), data, this.container);
    } else this.chart.setData(data);
    byId('distribution-table')
      .querySelector('tbody')
      ?.replaceChildren(
        ...groups.map(([name, g]) =>
          el(
            'tr',
            {},
            el('td', {}, name),
            el('td', { class: 'num' }, formatInteger(g.count)),
            el('td', { class: 'num' }, formatNumber(g.mean)),
            el('td', { class: 'num' }, formatNumber(g.p50)),
            el('td', { class: 'num' }, formatNumber(g.p95)),
            el('td', { class: 'num' }, formatNumber(g.p99)),
            el('td', { class: 'num' }, formatNumber(g.max)),
          ),
        ),
      );
  }

  private options(names: string[]): uPlot.Options {
    return {
      ...this.size(),
      scales: { x: { time: false, range: [0, 1] } },
      series: [
        { label: 'quantile', value: (_u, q) => (q === null ? '–' : `p${Math.round(q * 100)}`) },
        ...names.map((name, i) => ({ label: name, stroke: colours[i], width: 2, points: { show: true, size: 4 } })),
      ],
      axes: [{ values: (_u, splits) => splits.map((q) => `p${Math.round(q * 100)}`) }, { size: 60 }],
    };
  }
}

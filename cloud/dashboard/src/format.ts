const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumSignificantDigits: 4 });

export const formatInteger = (n: number) => integer.format(n);
export const formatNumber = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '–' : decimal.format(n));
export const formatPercent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export const formatTime = (ms: number) =>
  new Date(ms).toLocaleString('en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

const resolutionNames = { window: 'windows', hour: 'hourly rollups', day: 'daily rollups' } as const;

/** What a chart shows, in words: "hourly rollups", and since when the data is kept when the range asked for more. */
export function describeCoverage(coverage: { resolution: keyof typeof resolutionNames; retainedFromMs: number; partial: boolean }): string {
  const kept = coverage.partial
    ? `; only kept since ${new Date(coverage.retainedFromMs).toISOString().slice(0, 16).replace('T', ' ')} UTC, so the range is cut there`
    : '';
  return `from ${resolutionNames[coverage.resolution]}${kept}`;
}

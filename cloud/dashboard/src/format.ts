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

import { availableParallelism, cpus, totalmem } from 'node:os';

/** One line of the bench table: a figure beside a baseline measured in the same run. */
export interface BenchRow {
  readonly benchmark: string;
  readonly unit: string;
  readonly figure: number;
  readonly baseline: number;
  readonly baselineName: string;
  /** When the baseline is in another unit than the figure (the soak: MB beside MB/min). */
  readonly baselineUnit?: string;
  /** The minimum acceptable figure / baseline, when the issue names one. */
  readonly targetRatioMin?: number;
  /** The minimum acceptable figure itself (model quality), when the issue names one. */
  readonly absoluteMin?: number;
  /** The maximum acceptable figure itself (memory), when the issue names one. */
  readonly absoluteMax?: number;
  /** The maximum acceptable figure / baseline (bandwidth), when the issue names one. */
  readonly targetRatioMax?: number;
}

/** Median wall time of `runs` interleaved runs of each measured function, in ms. */
export async function medianMs(runs: number, fns: readonly (() => unknown)[]): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < fns.length; i++) {
      globalThis.gc?.();
      const start = performance.now();
      await fns[i]();
      times[i].push(performance.now() - start);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

function format(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}

export function machine(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** A Markdown table, ready to paste into the README. */
export function renderTable(rows: readonly BenchRow[]): string {
  const lines = ['| benchmark | figure | baseline (same run) | ratio | target |', '| --- | ---: | ---: | ---: | --- |'];
  for (const row of rows) {
    const ratio = row.figure / row.baseline;
    let target = '';
    if (row.targetRatioMin !== undefined) target = `ratio >= ${row.targetRatioMin} ${ratio >= row.targetRatioMin ? '(met)' : '(NOT met)'}`;
    if (row.targetRatioMax !== undefined) target = `ratio <= ${row.targetRatioMax} ${ratio <= row.targetRatioMax ? '(met)' : '(NOT met)'}`;
    if (row.targetRatioMin !== undefined && row.targetRatioMax !== undefined) {
      const met = ratio >= row.targetRatioMin && ratio <= row.targetRatioMax;
      target = `${row.targetRatioMin} <= ratio <= ${row.targetRatioMax} ${met ? '(met)' : '(NOT met)'}`;
    }
    if (row.absoluteMin !== undefined)
      target = `>= ${row.absoluteMin} ${row.unit} ${row.figure >= row.absoluteMin ? '(met)' : '(NOT met)'}`;
    if (row.absoluteMax !== undefined)
      target = `<= ${row.absoluteMax} ${row.unit} ${row.figure <= row.absoluteMax ? '(met)' : '(NOT met)'}`;
    lines.push(
      `| ${row.benchmark} | ${format(row.figure)} ${row.unit} | ${format(row.baseline)} ${row.baselineUnit ?? row.unit} (${row.baselineName}) | ${ratio < 0.1 ? ratio.toFixed(4) : ratio.toFixed(2)} | ${target} |`,
    );
  }
  return lines.join('\n');
}

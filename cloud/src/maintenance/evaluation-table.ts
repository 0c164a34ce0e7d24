import type { TruthScore } from './evaluate-against-truth.js';

/** One model's evaluation as `maintenance evaluate` answers it. */
export interface ModelEvaluation {
  readonly kind: string;
  readonly trainedAtMs: number;
  readonly heldOut: TruthScore;
  /** The same hours scored by the hidden wear, when the truth records it: the ceiling. */
  readonly oracle?: TruthScore;
}

const fixed = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);

/**
 * The evaluation as a person reads it: per model, the ranking measures, what the threshold
 * gives (precision, recall, false alarms), the lead time of the unbroken alert run that ends
 * at each failure beside the first-alert measure, and each failure mode.
 */
export function evaluationTable(models: readonly ModelEvaluation[]): string {
  const lines: string[] = [];
  for (const { kind, trainedAtMs, heldOut: h, oracle: o } of models) {
    lines.push(
      `${kind}: trained ${new Date(trainedAtMs).toISOString()}; ${h.devices} held-out devices, ${h.examples} hours, ${h.failures} failures`,
      `  ROC AUC ${fixed(h.rocAuc, 3)}   PR AUC ${fixed(h.prAuc, 3)}   threshold ${fixed(h.threshold, 3)}`,
      `  at the threshold: precision ${fixed(h.precision, 3)}, recall ${fixed(h.recall, 3)}, ${fixed(h.falseAlarmsPerDeviceMonth, 2)} false alarms per device-month`,
      `  lead time, unbroken alert run to the failure: ${h.detectedByRun} of ${h.failures} failures, median ${fixed(h.medianRunLeadTimeHours, 1)} h`,
      `  lead time, first alert in the week before (counts false alarms): ${h.detected} of ${h.failures}, median ${fixed(h.medianLeadTimeHours, 1)} h`,
    );
    if (o)
      lines.push(
        `  the ceiling, an oracle reading the hidden wear: ROC AUC ${fixed(o.rocAuc, 3)}, precision ${fixed(o.precision, 3)}, recall ${fixed(o.recall, 3)}, median lead ${fixed(o.medianRunLeadTimeHours, 1)} h`,
      );
    // Sudden failures (no warning, by the ground truth) are counted in their modes too.
    if (h.sudden && h.sudden.failures > 0)
      lines.push(
        `  sudden failures (no warning): ${h.sudden.failures} of ${h.failures}, ${h.sudden.detected} led up to; ROC AUC without their hours ${fixed(h.rocAucWithoutSudden, 3)}`,
      );
    const modes = Object.entries(h.byMode ?? {});
    if (modes.length > 0) {
      const width = Math.max(4, ...modes.map(([mode]) => mode.length));
      lines.push(`  ${'mode'.padEnd(width)}  failures  detected  median lead (h)`);
      for (const [mode, m] of modes)
        lines.push(
          `  ${mode.padEnd(width)}  ${String(m.failures).padStart(8)}  ${String(m.detected).padStart(8)}  ${fixed(m.medianLeadTimeHours, 1).padStart(15)}`,
        );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The figures a status line shows. */
export interface StatusFigures {
  readonly simulatedMs: number;
  readonly speed: number;
  readonly connected: number;
  readonly devices: number;
  readonly sentPerSecond: number;
  readonly delivered: number;
  readonly inFlight: number;
  readonly malformed: number;
  readonly dropped: number;
  readonly errors: number;
  readonly lagMs: number;
}

const number = new Intl.NumberFormat('en-US');

export function formatStatus(f: StatusFigures): string {
  const at = new Date(f.simulatedMs).toISOString().slice(0, 19).replace('T', ' ');
  const lag = f.lagMs > 1000 ? ` | behind ${(f.lagMs / 1000).toFixed(1)} s` : '';
  return (
    `sim ${at}${f.speed === 1 ? '' : ` (x${f.speed})`} | connected ${number.format(f.connected)}/${number.format(f.devices)}` +
    ` | ${number.format(Math.round(f.sentPerSecond))}/s | delivered ${number.format(f.delivered)} | in flight ${number.format(f.inFlight)}` +
    ` | malformed ${number.format(f.malformed)} | dropped ${number.format(f.dropped)} | errors ${number.format(f.errors)}${lag}`
  );
}

/**
 * Where the status goes: on a terminal, one line rewritten in place every second; into a
 * pipe or a file, a line every `everyMs`, so logs stay readable; or nowhere.
 */
export class StatusLine {
  private lastLineMs = 0;

  constructor(
    private readonly mode: 'tty' | 'lines' | 'off',
    private readonly everyMs: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  show(figures: StatusFigures, nowMs: number): void {
    if (this.mode === 'off') return;
    if (this.mode === 'tty') {
      this.out.write(`\r\x1b[2K${formatStatus(figures).slice(0, (this.out.columns ?? 200) - 1)}`);
      return;
    }
    if (nowMs - this.lastLineMs < this.everyMs) return;
    this.lastLineMs = nowMs;
    this.out.write(`${formatStatus(figures)}\n`);
  }

  /** Ends the in-place line so what follows starts on a line of its own. */
  finish(): void {
    if (this.mode === 'tty') this.out.write('\n');
  }
}

import { InvalidArgumentError } from 'commander';
import ms from 'ms';

/** A duration flag: 500ms, 10s, 5m, 2h, 7d (or plain milliseconds). */
export const durationFlag =
  (flag: string, { allowZero = false } = {}) =>
  (value: string): number => {
    const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : ms(value as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0 || (!allowZero && parsed === 0))
      throw new InvalidArgumentError(`${flag} was ${JSON.stringify(value)}, expected a duration such as 500ms, 10s, 5m, 2h or 7d`);
    return Math.round(parsed);
  };

/** A number flag within [min, max]. */
export const numberFlag =
  (flag: string, min: number, max: number, { integer = false } = {}) =>
  (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed)))
      throw new InvalidArgumentError(
        `${flag} was ${JSON.stringify(value)}, expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
      );
    return parsed;
  };

/** The simulated clock's start: an ISO time, epoch milliseconds, "now", or now minus a duration ("-30d"). */
export const startFlag =
  (nowMs: () => number = Date.now) =>
  (value: string): number => {
    if (value === 'now') return Math.floor(nowMs() / 1000) * 1000;
    if (value.startsWith('-')) return Math.floor(nowMs() / 1000) * 1000 - durationFlag('--start')(value.slice(1));
    const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(parsed))
      throw new InvalidArgumentError(`--start was ${JSON.stringify(value)}, expected an ISO time, epoch milliseconds, "now" or "-30d"`);
    return parsed;
  };

/** key=value pairs, collected. */
export const labelFlag = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const [key, ...rest] = value.split('=');
  if (!key || rest.length === 0) throw new InvalidArgumentError(`--label was ${JSON.stringify(value)}, expected key=value`);
  return { ...previous, [key]: rest.join('=') };
};

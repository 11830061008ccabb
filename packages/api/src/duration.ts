// Durations as kubectl's flags take them (Go's time.ParseDuration): "90s",
// "10m", "1h30m", "1.5h", "0".
import { InvalidError } from './errors.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds in `text`; `flag` names the option in the error. Negative durations are refused. */
export function parseDuration(text: string, flag: string): number {
  if (text === '0') return 0;
  if (!DURATION.test(text)) {
    throw new InvalidError(`${flag} "${text}" is not a duration; write it as a number and a unit (h, m, s, ms), e.g. 10m, 1h30m or 90s`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  return total;
}

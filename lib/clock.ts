// The wall clock of every program, in one place. Normally it is Date.now. The environment
// variable AS_CLOCK sets it instead (docs/environment.md): a test that restores real backup
// files, whose void times are absolute, gives the program the same clock as its dev server,
// so what expires does not depend on the day the test runs. Read once, at start-up.
import { UsageError } from './errors.js';

/** AS_CLOCK: the variable that sets the clock, as an ISO 8601 time or Unix milliseconds. */
export const CLOCK_VARIABLE = 'AS_CLOCK';

/** parseClock: the Unix ms a value of AS_CLOCK names; throws a UsageError naming it. */
export function parseClock(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms) || (!/^\d+$/.test(text) && !/(Z|[+-]\d\d:?\d\d)$/.test(text))) {
    throw new UsageError(`${CLOCK_VARIABLE}: expected Unix milliseconds or an ISO 8601 time with a zone (2026-11-23T19:22:00Z), got ${JSON.stringify(text)}`, text);
  }
  return ms;
}

// The clock starts at the set time and runs on from there, so durations stay real.
let offsetMs: number | undefined;

function offset(): number {
  if (offsetMs === undefined) {
    const set = process.env[CLOCK_VARIABLE];
    offsetMs = set === undefined || set === '' ? 0 : parseClock(set) - Date.now();
  }
  return offsetMs;
}

/** wallClock: Unix ms now, as AS_CLOCK sets it (Date.now when unset). */
export function wallClock(): number {
  return Date.now() + offset();
}

// A CronJob's schedule: standard 5-field cron syntax and the @yearly,
// @monthly, @weekly, @daily, @hourly macros, in a time zone, parsed by
// cron-parser (a maintained library; hand-writing cron arithmetic across DST
// changes is how bugs are born). Validation and the CronJob controller both
// read it from here.
import { createRequire } from 'node:module';
import type { CronExpressionParser as Parser } from 'cron-parser';

// Loaded on first use: cron-parser brings luxon (~10 MB resident, ~0.3 s to
// load), which every ctl command would otherwise pay for at start-up though
// only CronJobs need it. It is CommonJS, so a synchronous require works.
let parser: typeof Parser | undefined;
function cronParser(): typeof Parser {
  parser ??= (createRequire(import.meta.url)('cron-parser') as { CronExpressionParser: typeof Parser }).CronExpressionParser;
  return parser;
}

/** The macros Kubernetes accepts (robfig/cron's), and what they stand for. */
const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronScheduleError extends Error {}

/** Is `zone` an IANA time zone name this runtime knows? */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface CronSchedule {
  /** The first scheduled time strictly after `afterMs`. */
  next(afterMs: number): number;
  /** The latest scheduled time strictly before `beforeMs`. */
  prev(beforeMs: number): number;
}

/** Parses a schedule; throws CronScheduleError with a message fit for `spec.schedule: …`. */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  const trimmed = schedule.trim();
  const expression = MACROS[trimmed.toLowerCase()] ?? trimmed;
  if (expression.startsWith('@')) throw new CronScheduleError(`unknown macro ${JSON.stringify(trimmed)} (use @yearly, @monthly, @weekly, @daily or @hourly)`);
  // Kubernetes takes exactly five fields (minute hour day-of-month month day-of-week); cron-parser would also take seconds.
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) throw new CronScheduleError(`expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`);
  if (timeZone !== undefined && !isKnownTimeZone(timeZone)) throw new CronScheduleError(`unknown time zone ${JSON.stringify(timeZone)}`);
  const options = timeZone === undefined ? {} : { tz: timeZone };
  try {
    cronParser().parse(expression, options);
  } catch (error) {
    throw new CronScheduleError((error as Error).message);
  }
  return {
    next(afterMs: number): number {
      const iterator = cronParser().parse(expression, { ...options, currentDate: new Date(afterMs) });
      return iterator.next().getTime();
    },
    prev(beforeMs: number): number {
      const iterator = cronParser().parse(expression, { ...options, currentDate: new Date(beforeMs) });
      return iterator.prev().getTime();
    },
  };
}

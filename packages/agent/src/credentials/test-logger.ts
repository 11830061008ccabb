// A pino logger for tests that check what the agent says. Lives beside the
// code (not in a test file) so the agent's tests share one.
import { pino, type Logger } from 'pino';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A logger whose lines a test can read. */
export function recordingLogger(): { log: Logger; lines: () => LogLine[] } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { log, lines: () => lines.map((line) => JSON.parse(line) as LogLine) };
}

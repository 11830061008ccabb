// The Kubernetes CRI log format, as conmon writes it: one record per line,
// `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <text>`. P marks a partial
// line (the writer's buffer filled up, or the output paused mid-line): the
// text continues in the next record of the same stream; F ends the line.

export type LogStream = 'stdout' | 'stderr';

export interface CriRecord {
  /** As written, RFC3339 with nanoseconds, e.g. 2026-12-01T19:55:00.242136128+00:00. */
  readonly timestamp: string;
  readonly stream: LogStream;
  readonly partial: boolean;
  readonly text: string;
}

/** One complete line of output: partial records joined. */
export interface LogLine {
  readonly timestamp: string;
  readonly stream: LogStream;
  readonly text: string;
}

const RECORD = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/;

export function parseCriRecord(line: string): CriRecord | undefined {
  const match = RECORD.exec(line);
  if (match === null) return undefined;
  const [, timestamp = '', stream, tag, text = ''] = match;
  return { timestamp, stream: stream === 'stderr' ? 'stderr' : 'stdout', partial: tag === 'P', text };
}

/**
 * Parses CRI records into lines, joining partial records per stream; the
 * timestamp of a joined line is its first record's. Unparseable lines are
 * skipped. A trailing partial line (still being written) is returned in `pending`.
 */
export function parseCriLog(text: string): { lines: LogLine[]; pending: Map<LogStream, LogLine> } {
  return joinRecords(text.split('\n'), new Map());
}

/** Feeds more records through the same joining (a follower keeps `pending` between reads). */
export function joinRecords(
  rawLines: readonly string[],
  pending: Map<LogStream, LogLine>,
): { lines: LogLine[]; pending: Map<LogStream, LogLine> } {
  const lines: LogLine[] = [];
  for (const raw of rawLines) {
    const record = parseCriRecord(raw);
    if (record === undefined) continue;
    const before = pending.get(record.stream);
    const line: LogLine = before
      ? { ...before, text: before.text + record.text }
      : { timestamp: record.timestamp, stream: record.stream, text: record.text };
    if (record.partial) {
      pending.set(record.stream, line);
    } else {
      pending.delete(record.stream);
      lines.push(line);
    }
  }
  return { lines, pending };
}

/** Milliseconds since the epoch of a CRI timestamp (nanoseconds truncated); NaN if unparseable. */
export function criTimestampMs(timestamp: string): number {
  // Date.parse accepts at most millisecond fractions on every engine.
  return Date.parse(timestamp.replace(/(\.\d{3})\d+/, '$1'));
}

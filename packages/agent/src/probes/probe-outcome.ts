// What one run of a probe (or a lifecycle hook's handler) found, and what it
// needs to know about the container it looks at. Every prober answers with an
// outcome and never throws: an error is a failure whose output says why, as
// kubelet's probers report it ("dial tcp 10.244.0.5:80: connect: connection refused").
import type { ContainerPort } from '@skiff/api/core';

export interface ProbeOutcome {
  readonly ok: boolean;
  /** What the probe saw: the command's output, the HTTP status, the error; for events and logs. */
  readonly output: string;
}

export interface ProbeTarget {
  /** The runtime's id of the container (exec runs there). */
  readonly containerId: string;
  /** The pod's IP: network probes connect there unless the handler names a host. */
  readonly podIP: string;
  /** The container's declared ports, for handlers that name one. */
  readonly ports: readonly ContainerPort[];
}

/** kubelet keeps at most this much of a probe's output (prober.maxProbeOutputLength is 10 KiB). */
export const MAX_PROBE_OUTPUT = 10 * 1024;

export function failed(output: string): ProbeOutcome {
  return { ok: false, output };
}

/** The port a handler means: a number, or the name of one of the container's ports. */
export function resolvePort(port: number | string, target: ProbeTarget): number | ProbeOutcome {
  if (typeof port === 'number') return port;
  const named = target.ports.find((p) => p.name === port);
  if (named) return named.containerPort;
  // As kubelet: a numeric string is a number.
  if (/^[0-9]+$/.test(port)) return Number(port);
  return failed(`couldn't find port ${JSON.stringify(port)} among the container's ports`);
}

/** Output collected up to MAX_PROBE_OUTPUT bytes, the rest dropped. */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  /** Keeps what fits; false once the buffer is full. */
  add(chunk: Buffer): boolean {
    const room = MAX_PROBE_OUTPUT - this.size;
    if (room <= 0) return false;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
    return this.size < MAX_PROBE_OUTPUT;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8').trim();
  }
}

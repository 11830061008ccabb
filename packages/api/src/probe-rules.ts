// A container's probes and lifecycle hooks: the rules between fields that
// Kubernetes' ValidateProbe and validateHandler state and a JSON Schema
// cannot — exactly one handler, a successThreshold of 1 where a second
// success could not mean anything (liveness, startup), no kill grace period
// on a probe that never kills (readiness).
import type { PathSegment } from './field-path.js';
import { recordAt, type JsonRecord } from './json-guards.js';

type Report = (segments: readonly PathSegment[], message: string) => void;

export const PROBE_KINDS = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const HOOK_HANDLERS = ['exec', 'httpGet', 'sleep'] as const;

export function checkContainerProbes(container: unknown, at: readonly PathSegment[], report: Report): void {
  for (const kind of PROBE_KINDS) {
    const probe = recordAt(container, kind);
    if (probe) checkProbe(probe, kind, [...at, kind], report);
  }
  const lifecycle = recordAt(container, 'lifecycle');
  for (const hook of ['postStart', 'preStop'] as const) {
    const handler = recordAt(lifecycle, hook);
    if (handler) checkHandler(handler, HOOK_HANDLERS, [...at, 'lifecycle', hook], report);
  }
}

function checkProbe(probe: JsonRecord, kind: (typeof PROBE_KINDS)[number], at: readonly PathSegment[], report: Report): void {
  checkHandler(probe, PROBE_HANDLERS, at, report);
  // A liveness or startup probe that needed two successes would restart a container that had recovered.
  if (kind !== 'readinessProbe' && typeof probe['successThreshold'] === 'number' && probe['successThreshold'] !== 1) {
    report([...at, 'successThreshold'], `must be 1 for a ${kind === 'livenessProbe' ? 'liveness' : 'startup'} probe`);
  }
  if (kind === 'readinessProbe' && probe['terminationGracePeriodSeconds'] !== undefined) {
    report([...at, 'terminationGracePeriodSeconds'], 'must not be set for readinessProbes');
  }
}

function checkHandler(handler: JsonRecord, allowed: readonly string[], at: readonly PathSegment[], report: Report): void {
  const given = allowed.filter((k) => handler[k] !== undefined);
  const list = `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1) ?? ''}`;
  if (given.length === 0) report(at, `must specify a handler type: one of ${list}`);
  else if (given.length > 1) report(at, `may not specify more than 1 handler type (found ${given.join(' and ')}): one of ${list}`);
}

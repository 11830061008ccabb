// One run of a probe, whichever its handler: exactly one is set (validation
// sees to it); the timeout is the probe's timeoutSeconds.
import type { Probe } from '@skiff/api/core';
import { execProbe, type ContainerExec } from './exec-prober.js';
import { grpcProbe } from './grpc-prober.js';
import { httpProbe } from './http-prober.js';
import { failed, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';
import { tcpProbe } from './tcp-prober.js';

export type RunProbe = (probe: Probe, target: ProbeTarget) => Promise<ProbeOutcome>;

export function prober(runtime: ContainerExec): RunProbe {
  return async (probe, target) => {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    if (probe.exec) return execProbe(runtime, target.containerId, probe.exec.command, timeoutMs);
    if (probe.httpGet) return httpProbe(probe.httpGet, target, { timeoutMs });
    if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, target, timeoutMs);
    if (probe.grpc) return grpcProbe(probe.grpc, target, timeoutMs);
    return failed('the probe has no handler');
  };
}

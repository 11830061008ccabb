// The agent's GetResourceMetrics: the sampler's latest samples as the control
// plane's scraper reads them (a metrics-server scraping kubelet). An agent
// without a sampler (the process runtime: no pod cgroups) answers empty.
import type { AgentHandlers, ResourceMetricsMessage } from '@skiff/api/core';
import type { ResourceSampler, UsageSample } from './resource-sampler.js';

export function createResourceMetricsHandlers(sampler: Pick<ResourceSampler, 'node' | 'pods'> | undefined): Pick<AgentHandlers, 'GetResourceMetrics'> {
  return {
    GetResourceMetrics: (_call, callback) => callback(null, resourceMetricsMessage(sampler)),
  };
}

export function resourceMetricsMessage(sampler: Pick<ResourceSampler, 'node' | 'pods'> | undefined): ResourceMetricsMessage {
  if (!sampler) return { pods: [] };
  const node = sampler.node;
  return {
    ...(node ? { node: usageMessage(node) } : {}),
    pods: sampler.pods.map((pod) => ({
      namespace: pod.namespace,
      name: pod.name,
      uid: pod.uid,
      labels: { ...pod.labels },
      timestamp: new Date(pod.atMs).toISOString(),
      window_ms: Math.round(pod.windowMs),
      containers: pod.containers.map((c) => ({ name: c.name, usage: usageMessage(c) })),
    })),
  };
}

function usageMessage(sample: UsageSample) {
  return {
    timestamp: new Date(sample.atMs).toISOString(),
    window_ms: Math.round(sample.windowMs),
    cpu_nano_cores: String(Math.round(sample.cpuNanoCores)),
    memory_working_set_bytes: String(Math.round(sample.workingSetBytes)),
  };
}

// What pods get from outside their images, wired for the agent: the
// ConfigMaps and Secrets they reference (read as this node, kept fresh),
// their env as kubelet makes it, their volumes under <state-dir>/pods and
// tokens for projected serviceAccountToken sources. agent.ts only starts it.
import { cpuMillis, memoryBytes, type ApiClient, type Container, type Pod } from '@skiff/api/core';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { resolveContainerEnv, type ResolvedEnv } from './env/container-env.js';
import type { NodeAllocatable } from './env/downward-values.js';
import type { Capacity } from './host-capacity.js';
import { PodVolumes } from './volumes/pod-volumes.js';
import { ReferencedObjects } from './volumes/referenced-objects.js';
import { ServiceAccountTokens } from './volumes/service-account-tokens.js';

export interface PodConfigOptions {
  readonly client: () => ApiClient;
  readonly stateDir: string;
  readonly allocatable: Capacity;
  readonly hostIP: string;
  /** Kubernetes' service variables for the pod (throws while the Services are not listed yet). */
  readonly serviceEnv: (pod: Pod) => Record<string, string>;
  /** A referenced object changed: the reconciler should look again. */
  readonly onChange: () => void;
  readonly log: Logger;
}

export class PodConfig {
  readonly referenced: ReferencedObjects;
  readonly volumes: PodVolumes;
  private readonly allocatable: NodeAllocatable;

  constructor(private readonly options: PodConfigOptions) {
    this.referenced = new ReferencedObjects({ client: options.client, onChange: options.onChange, log: options.log.child({ component: 'referenced-objects' }) });
    this.allocatable = { cpuMillis: cpuMillis(options.allocatable.cpu), memoryBytes: memoryBytes(options.allocatable.memory) };
    const tokens = new ServiceAccountTokens(options.client);
    this.volumes = new PodVolumes({
      rootDir: join(options.stateDir, 'pods'),
      context: { sources: this.referenced, allocatable: this.allocatable, hostIP: options.hostIP, serviceAccountToken: (pod, seconds, audience) => tokens.token(pod, seconds, audience) },
      log: options.log.child({ component: 'volumes' }),
    });
  }

  start(): void {
    this.referenced.start();
  }

  stop(): void {
    this.referenced.stop();
  }

  /** The container's env: envFrom, env (valueFrom, $(VAR)) and the service variables. */
  containerEnv(pod: Pod, container: Container, podIP: string | undefined): Promise<ResolvedEnv> {
    return resolveContainerEnv(pod, container, {
      sources: this.referenced,
      serviceEnv: this.options.serviceEnv(pod),
      allocatable: this.allocatable,
      hostIP: this.options.hostIP,
      ...(podIP ? { podIP } : {}),
    });
  }
}

// The downward API's values, as kubelet computes them: pod fields
// (fieldRef) for env vars and volume files, and container resources
// (resourceFieldRef) as a count of the divisor rounded up — a limit the
// container does not set is the node's allocatable, as kubelet fills it.
import { cpuMillis, fieldPathSubscript, memoryBytes, parseQuantity, type Pod, type ResourceFieldSelector } from '@skiff/api/core';
import { ContainerConfigError } from '../container-config-error.js';

export interface PodAddresses {
  readonly podIP?: string;
  readonly hostIP?: string;
}

/** What limits default to when a container sets none (kubelet: the node's allocatable). */
export interface NodeAllocatable {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/** A pod field by its fieldPath (validation has already refused unknown ones; the agent refuses them too). */
export function podFieldValue(pod: Pod, fieldPath: string, addresses: PodAddresses): string {
  const subscript = fieldPathSubscript(fieldPath);
  if (subscript) return pod.metadata[subscript.map]?.[subscript.key] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels ?? {});
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations ?? {});
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      // Kubernetes' ServiceAccount admission fills an absent one with "default".
      return pod.spec.serviceAccountName || 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return addresses.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return addresses.hostIP ?? '';
    default:
      throw new ContainerConfigError(`unsupported fieldPath ${JSON.stringify(fieldPath)}`);
  }
}

/** kubelet's resourceFieldRef: ceil(value / divisor), as a decimal integer. */
export function resourceFieldValue(pod: Pod, defaultContainer: string, ref: ResourceFieldSelector, allocatable: NodeAllocatable): string {
  const name = ref.containerName ?? defaultContainer;
  const container = pod.spec.containers.find((c) => c.name === name);
  if (!container) throw new ContainerConfigError(`resourceFieldRef: no container ${JSON.stringify(name)} in the pod`);
  const divisor = parseQuantity(ref.divisor ?? '1');
  if (!divisor) throw new ContainerConfigError(`resourceFieldRef: divisor ${JSON.stringify(ref.divisor)} is not a quantity`);
  const [kind, resource] = ref.resource.split('.') as ['limits' | 'requests', string];
  const limits = container.resources?.limits;
  const requests = container.resources?.requests;
  if (resource === 'cpu') {
    const limit = limits?.cpu !== undefined ? cpuMillis(limits.cpu) : allocatable.cpuMillis;
    // A request left out is the limit when one is set (Kubernetes' defaulting), else nothing.
    const request = requests?.cpu !== undefined ? cpuMillis(requests.cpu) : limits?.cpu !== undefined ? limit : 0;
    return String(Math.ceil((kind === 'limits' ? limit : request) / cpuMillis(divisor)));
  }
  if (resource === 'memory') {
    const limit = limits?.memory !== undefined ? memoryBytes(limits.memory) : allocatable.memoryBytes;
    const request = requests?.memory !== undefined ? memoryBytes(requests.memory) : limits?.memory !== undefined ? limit : 0;
    return String(Math.ceil((kind === 'limits' ? limit : request) / memoryBytes(divisor)));
  }
  const set = kind === 'limits' ? (limits?.['ephemeral-storage'] ?? undefined) : (requests?.['ephemeral-storage'] ?? limits?.['ephemeral-storage']);
  if (set === undefined) {
    if (kind === 'requests') return '0';
    throw new ContainerConfigError(`resourceFieldRef ${ref.resource}: container ${name} sets no ephemeral-storage limit, and this node does not report its allocatable ephemeral storage`);
  }
  return String(Math.ceil(memoryBytes(set) / memoryBytes(divisor)));
}

/** A label or annotation map as a downwardAPI file: `key="value"` lines, sorted, values quoted as Go's %q. */
export function formatMap(map: Readonly<Record<string, string>>): string {
  return Object.keys(map)
    .sort()
    .map((key) => `${key}=${goQuote(map[key] ?? '')}`)
    .join('\n');
}

/** Go's strconv.Quote (%q), which Kubernetes uses here: JSON's escapes differ for control characters and DEL. */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (char === '\x07') out += '\\a';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (char === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

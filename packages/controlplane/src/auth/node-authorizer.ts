// Kubernetes' node authorizer and NodeRestriction, simplified: a node may
// register and heartbeat only itself, list and watch every Node (read-only, as
// kubelet may: the pod overlay needs its peers' pod CIDRs and VTEPs), see only the pods bound to it and the
// ConfigMaps, Secrets and ServiceAccounts those pods reference, report
// status only for those pods (and delete them once stopped), record Events only about itself and those
// pods, and read (get, list, watch) every Service and EndpointSlice for its
// service proxy and DNS. Nothing else — RBAC is never asked for a node.
import { NODE_LEASE_NAMESPACE, type InvolvedObject, type Pod } from '@skiff/api';
import type { DeletedPod } from './recently-deleted-pods.js';
import { nodeNameOf, type UserInfo } from './identity.js';
import { podReferences, type PodReferences } from './pod-references.js';
import { describeRequest, type Decision, type Query } from './request-attributes.js';

/** The pods the scheduler bound to each node, as the control plane's informer holds them. */
export interface NodeGraph {
  podsOnNode(nodeName: string): readonly Pod[];
  pod(namespace: string, name: string): Pod | undefined;
  /** A pod deleted a short while ago, by uid, and where it was bound (its agent still writes "Killing" about it). */
  deletedPod?(uid: string): DeletedPod | undefined;
}

export interface NodeAuthorizerOptions {
  /** Where the nodes' heartbeat leases live (default NODE_LEASE_NAMESPACE). */
  readonly leaseNamespace?: string;
}

const REFERENCED: Readonly<Record<string, keyof PodReferences>> = {
  configmaps: 'configMaps',
  secrets: 'secrets',
  serviceaccounts: 'serviceAccounts',
};

export class NodeAuthorizer {
  private readonly leaseNamespace: string;

  constructor(
    private readonly graph: NodeGraph,
    options: NodeAuthorizerOptions = {},
  ) {
    this.leaseNamespace = options.leaseNamespace ?? NODE_LEASE_NAMESPACE;
  }

  /** The decision for a node identity; undefined (no opinion) for anyone else. */
  authorize(user: UserInfo, attrs: Query): Decision | undefined {
    const node = nodeNameOf(user);
    if (node === undefined) return undefined;
    const allow = (what: string): Decision => ({ allowed: true, reason: `node ${JSON.stringify(node)} may ${what}` });
    const deny = (why: string): Decision => ({ allowed: false, reason: `node authorizer: ${why}` });
    const { verb, apiGroup, resource, subresource, namespace, name } = attrs;

    if (apiGroup === '' && resource === 'nodes' && subresource === undefined && (verb === 'list' || verb === 'watch')) {
      return allow(`${verb} Nodes`);
    }
    if (apiGroup === '' && resource === 'nodes' && (subresource === undefined || subresource === 'status')) {
      const writable = verb === 'get' || verb === 'update' || verb === 'patch' || (verb === 'create' && subresource === undefined);
      if (writable && name === node) return allow(`${verb} its own Node`);
      return deny(`a node may only list and watch Nodes, and get, create, update and patch its own Node ${JSON.stringify(node)}`);
    }
    if (apiGroup === 'coordination.k8s.io' && resource === 'leases' && subresource === undefined) {
      if ((verb === 'get' || verb === 'update' || verb === 'create') && namespace === this.leaseNamespace && name === node) {
        return allow(`${verb} its own Lease`);
      }
      return deny(`a node may only get, create and update its own Lease ${JSON.stringify(node)} in namespace ${JSON.stringify(this.leaseNamespace)}`);
    }
    if (apiGroup === '' && resource === 'pods') {
      if (subresource === undefined && (verb === 'list' || verb === 'watch')) {
        if (attrs.nodeName === node) return allow(`${verb} the pods bound to it`);
        return deny(`a node may only ${verb} the pods bound to it (node ${JSON.stringify(node)})`);
      }
      // delete: the agent's final removal of a pod it has stopped (kubelet's delete of grace 0).
      if ((subresource === undefined && (verb === 'get' || verb === 'delete')) || (subresource === 'status' && verb === 'update')) {
        const pod = namespace !== undefined && name !== undefined ? this.graph.pod(namespace, name) : undefined;
        if (pod?.spec.nodeName === node && verb === 'delete' && pod.metadata.deletionTimestamp === undefined) {
          return deny(`a node may only remove a pod bound to it once the pod is being deleted (pod ${JSON.stringify(`${namespace ?? ''}/${name ?? ''}`)} is not)`);
        }
        if (pod?.spec.nodeName === node) return allow(`${verb} ${subresource ? 'the status of ' : ''}pods bound to it`);
        return deny(`pod ${JSON.stringify(`${namespace ?? ''}/${name ?? ''}`)} is not bound to node ${JSON.stringify(node)}`);
      }
    }
    if ((apiGroup === '' || apiGroup === 'events.k8s.io') && resource === 'events' && subresource === undefined) {
      const writes = verb === 'create' || verb === 'update' || verb === 'patch';
      const about = attrs.involvedObjects ?? [];
      if (!writes || about.length === 0) {
        return deny(`a node may only create, update and patch events about its own Node ${JSON.stringify(node)} and the pods bound to it`);
      }
      for (const involved of about) {
        const refusal = this.eventRefusal(node, namespace, involved);
        if (refusal) return deny(refusal);
      }
      return allow(`${verb} events about itself and the pods bound to it`);
    }
    // The service proxy and the cluster DNS on every node read all Services and their endpoints.
    const serviceData = (apiGroup === '' && resource === 'services') || (apiGroup === 'discovery.k8s.io' && resource === 'endpointslices');
    if (serviceData && subresource === undefined) {
      if (verb === 'get' || verb === 'list' || verb === 'watch') return allow(`${verb} ${resource} (for its service proxy and DNS)`);
      return deny(`a node may only get, list and watch ${resource}`);
    }
    // Projected serviceAccountToken volumes: kubelet requests tokens for its pods' ServiceAccounts.
    if (apiGroup === '' && resource === 'serviceaccounts' && subresource === 'token' && verb === 'create') {
      if (namespace !== undefined && name !== undefined && this.referencedByPodOnNode(node, 'serviceAccounts', namespace, name)) {
        return allow('create tokens for the ServiceAccounts of pods bound to it');
      }
      return deny(`no pod bound to node ${JSON.stringify(node)} runs as serviceaccount ${JSON.stringify(name ?? '')} in namespace ${JSON.stringify(namespace ?? '')}`);
    }
    const referenced = REFERENCED[resource];
    if (apiGroup === '' && referenced && subresource === undefined && verb === 'get') {
      if (namespace !== undefined && name !== undefined && this.referencedByPodOnNode(node, referenced, namespace, name)) {
        return allow(`get ${resource} that pods bound to it reference`);
      }
      return deny(`no pod bound to node ${JSON.stringify(node)} references ${resource} ${JSON.stringify(name ?? '')} in namespace ${JSON.stringify(namespace ?? '')}`);
    }
    return deny(`a node may not ${describeRequest(attrs)}`);
  }

  /** Why `node` may not write an Event in `namespace` about `involved`, or undefined if it may. */
  private eventRefusal(node: string, namespace: string | undefined, involved: InvolvedObject): string | undefined {
    const apiVersion = involved.apiVersion ?? 'v1';
    if (involved.kind === 'Node' && apiVersion === 'v1' && involved.name === node) {
      return namespace === 'default' ? undefined : `events about node ${JSON.stringify(node)} belong in namespace "default"`;
    }
    const what = `${involved.kind} ${JSON.stringify(`${involved.namespace ?? ''}/${involved.name}`)}`;
    if (involved.kind !== 'Pod' || apiVersion !== 'v1') return `a node may record events only about its own Node and the pods bound to it, not about ${what}`;
    if (involved.namespace === undefined || involved.namespace !== namespace) return `an event about ${what} belongs in namespace ${JSON.stringify(involved.namespace ?? '')}`;
    const pod = this.graph.pod(involved.namespace, involved.name);
    const sameUid = involved.uid === undefined || involved.uid === pod?.metadata.uid;
    if (pod?.spec.nodeName === node && sameUid) return undefined;
    // A pod deleted while this node ran it: its containers are still being stopped.
    const deleted = involved.uid !== undefined ? this.graph.deletedPod?.(involved.uid) : undefined;
    if (deleted && deleted.nodeName === node && deleted.namespace === involved.namespace && deleted.name === involved.name) return undefined;
    return `pod ${JSON.stringify(`${involved.namespace}/${involved.name}`)}${involved.uid ? ` (uid ${involved.uid})` : ''} is not bound to node ${JSON.stringify(node)}`;
  }

  private referencedByPodOnNode(node: string, kind: keyof PodReferences, namespace: string, name: string): boolean {
    return this.graph
      .podsOnNode(node)
      .some((pod) => (pod.metadata.namespace ?? 'default') === namespace && podReferences(pod)[kind].has(name));
  }
}

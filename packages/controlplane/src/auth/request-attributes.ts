// What a request asks to do, in Kubernetes' authorizer terms, and the answer.
import type { InvolvedObject } from '@skiff/api';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'impersonate';

export const VERBS: readonly Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'impersonate'];

export interface RequestAttributes {
  readonly verb: Verb;
  /** "" for the core group (pods, secrets, nodes…), "apps" for deployments. */
  readonly apiGroup: string;
  /** The plural: "pods", "deployments", "users" (impersonation). */
  readonly resource: string;
  /** "log" of pods/log, "status" of nodes/status, "scale" of deployments/scale. */
  readonly subresource?: string;
  /** Absent for cluster-scoped resources and for requests across every namespace. */
  readonly namespace?: string;
  /** Absent for list, watch and (usually) create. */
  readonly name?: string;
  /** The request is limited to pods bound to this node (the agent's assignment watch). */
  readonly nodeName?: string;
  /**
   * For a write of an Event: what it is about, as written and (an update) as
   * stored. The node authorizer lets a node write only Events about itself
   * and its pods; RBAC does not look.
   */
  readonly involvedObjects?: readonly InvolvedObject[];
}

/** `ctl auth can-i` may also ask about "*", which only a rule granting "*" allows. */
export type Query = Omit<RequestAttributes, 'verb'> & { readonly verb: Verb | '*' };

export interface Decision {
  readonly allowed: boolean;
  /** Which binding and role allowed it, or why nothing did (for `ctl auth can-i` and the audit log). */
  readonly reason: string;
}

/** "pods/log", "deployments". */
export function resourceText(attrs: Query): string {
  return attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
}

/** `delete deployments in namespace "shop"`, `get secrets "db" in namespace "shop"`, `delete nodes at the cluster scope`. */
export function describeRequest(attrs: Query): string {
  const named = attrs.name ? ` ${JSON.stringify(attrs.name)}` : '';
  const scope = attrs.namespace ? `in namespace ${JSON.stringify(attrs.namespace)}` : 'at the cluster scope';
  return `${attrs.verb} ${resourceText(attrs)}${named} ${scope}`;
}

/** The sentence of a denial: `user "X" cannot delete deployments in namespace "shop"`. */
export function denialMessage(userName: string, attrs: Query): string {
  return `user ${JSON.stringify(userName)} cannot ${describeRequest(attrs)}`;
}

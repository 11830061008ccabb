// The Service and discovery.k8s.io/v1 EndpointSlice shapes (see types.ts for the others).
import type { Labels, ResourceObject } from './types.js';

export interface ServicePort {
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  targetPort: number | string;
  nodePort?: number;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface Service extends ResourceObject {
  apiVersion: 'v1';
  kind: 'Service';
  spec: {
    type: ServiceType;
    selector?: Labels;
    /** Absent for ExternalName. */
    ports: ServicePort[];
    /** Allocated from the service CIDR on create (or the requested one); "None" for headless. */
    clusterIP?: string;
    clusterIPs?: string[];
    /** type ExternalName: the DNS name the Service's name is a CNAME for. */
    externalName?: string;
    sessionAffinity?: 'None' | 'ClientIP';
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    /** Endpoints are published (and resolvable) before their pods are Ready. */
    publishNotReadyAddresses?: boolean;
  };
  status?: {
    /** type LoadBalancer: Skiff serves it as a NodePort, and says so in ingress[].ip = each node's address. */
    loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] };
    conditions?: { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string; lastTransitionTime?: string }[];
  };
}

// discovery.k8s.io/v1 EndpointSlice: the ready, serving and terminating pods
// behind a Service, at most 100 per slice; written by the EndpointSlice
// controller, read by every agent's service proxy and DNS.
export const ENDPOINT_SLICE_SERVICE_LABEL = 'kubernetes.io/service-name';
export const ENDPOINT_SLICE_MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

export interface EndpointConditions {
  /** Serving and not terminating (with publishNotReadyAddresses: always true). */
  ready?: boolean;
  /** The pod's Ready condition, whatever its termination. */
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: 'Pod'; namespace: string; name: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
}

export interface EndpointSlice extends ResourceObject {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  addressType: 'IPv4';
  endpoints: Endpoint[];
  ports: EndpointPort[];
}

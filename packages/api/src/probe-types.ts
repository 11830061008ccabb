// A container's probes and lifecycle hooks (Kubernetes' Probe and
// LifecycleHandler), as a validated, defaulted manifest has them. The agent
// runs them (packages/agent/src/probes/ and lifecycle/); the rules between
// fields are in probe-rules.ts.

export interface HttpHeader {
  name: string;
  value: string;
}

export interface HttpGetAction {
  /** Default "/". */
  path?: string;
  /** A number, or the name of one of the container's ports. */
  port: number | string;
  /** Default: the pod's IP. */
  host?: string;
  /** Default HTTP; HTTPS does not verify the certificate, as kubelet. */
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: HttpHeader[];
}

export interface TcpSocketAction {
  port: number | string;
  /** Default: the pod's IP. */
  host?: string;
}

export interface ExecAction {
  command: string[];
}

/** The standard grpc.health.v1.Health/Check; `service` is the name asked about ("" for the server as a whole). */
export interface GrpcAction {
  port: number;
  service?: string;
}

export interface Probe {
  httpGet?: HttpGetAction;
  tcpSocket?: TcpSocketAction;
  exec?: ExecAction;
  grpc?: GrpcAction;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  /** For a liveness or startup probe's kill: overrides the pod's terminationGracePeriodSeconds. */
  terminationGracePeriodSeconds?: number;
}

/** What a postStart or preStop hook runs: exactly one of these. */
export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HttpGetAction;
  sleep?: { seconds: number };
}

export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
}

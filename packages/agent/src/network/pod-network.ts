// Each pod gets its own network namespace and an IP from its node's pod CIDR,
// on a host bridge, so replicas can all listen on the same port.

export interface PodNetworkAttachment {
  /** /var/run/netns/<name>: containers of the pod join it. */
  readonly netnsPath: string;
  readonly ip: string;
}

export interface PodNetwork {
  /** Creates (or returns the existing) attachment for a pod; idempotent. */
  attach(podUid: string): Promise<PodNetworkAttachment>;
  /** Removes the pod's namespace and releases its IP; idempotent. */
  detach(podUid: string): Promise<void>;
  /** Attachments that survive from before this process started, keyed by pod uid. */
  existing(): Promise<Map<string, PodNetworkAttachment>>;
}

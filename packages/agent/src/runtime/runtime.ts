// The container runtime interface the agent's reconciler drives. Two drivers
// implement it: runc (isolated, the Linux default as root) and process (plain
// child processes, for development and non-root hosts).
import type { ExecOptions, ExecSession } from './exec-session.js';

export type { ExecOptions, ExecSession, TerminalSize } from './exec-session.js';

export interface ContainerLimits {
  /** Hard memory limit in bytes (cgroup memory.limit_in_bytes); undefined = none. */
  readonly memoryBytes?: number;
  /** CPU limit in millicores, enforced as a CFS quota over a 100 ms period; undefined = none. */
  readonly cpuMillis?: number;
  /** CPU request in millicores, mapped to cpu shares (1000m = 1024 shares). */
  readonly cpuRequestMillis?: number;
  /** Maximum number of processes in the container. */
  readonly pids?: number;
}

export interface ContainerSpec {
  /** Unique, stable, filesystem- and runc-safe: "<pod uid>-<container name>" style. */
  readonly id: string;
  /** Labels the runtime stores with the container and returns from list(): pod namespace/name/uid, container name. */
  readonly labels: Readonly<Record<string, string>>;
  /** Image root filesystem layers, bottom first (read-only directories). Empty for the process driver. */
  readonly layers: readonly string[];
  /** Full argv: entrypoint/command + args, already resolved against the image config. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  readonly limits: ContainerLimits;
  /** Join this network namespace (a /var/run/netns path); undefined = the driver's default. */
  readonly netnsPath?: string;
  /** Hostname inside the container. */
  readonly hostname?: string;
  /** Who the process runs as and what it may do; undefined = root with the hardened defaults. */
  readonly security?: ContainerSecurity;
  /** Host files or directories bind-mounted into the container (the pod's /etc/hosts, hostname, resolv.conf). */
  readonly mounts?: readonly BindMount[];
  /**
   * The pod's cgroup, relative to the driver's own parent (e.g.
   * "kubepods/burstable/pod<uid>", see cgroups/pod-cgroup-layout.ts): the
   * container's cgroup goes below it. Undefined: directly below the parent.
   */
  readonly cgroupParent?: string;
}

/** The securityContext of a container, resolved against its pod's and its image's user. */
export interface ContainerSecurity {
  readonly uid?: number;
  readonly gid?: number;
  /** Supplementary groups (supplementalGroups and fsGroup). */
  readonly additionalGids?: readonly number[];
  /** All capabilities, no seccomp filter, no masked or read-only kernel paths. */
  readonly privileged?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  /** setuid binaries and file capabilities may raise privileges (no_new_privs off). */
  readonly allowPrivilegeEscalation?: boolean;
  /** Capability names, CAP_ prefixed, or ALL. Drop applies before add. */
  readonly capabilitiesAdd?: readonly string[];
  readonly capabilitiesDrop?: readonly string[];
  /** RuntimeDefault (the default) filters system calls; Unconfined does not. */
  readonly seccomp?: 'RuntimeDefault' | 'Unconfined';
}

export interface BindMount {
  readonly source: string;
  readonly destination: string;
  readonly readOnly: boolean;
  /** Programs on it may run (pod volumes, as in Kubernetes); the pod's own files are mounted noexec. */
  readonly exec?: boolean;
}

export type ContainerStatus = 'running' | 'exited' | 'unknown';

export interface ContainerState {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly status: ContainerStatus;
  /** Host pid of the container's init process while running. */
  readonly pid?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly exitCode?: number;
  /** The kernel OOM killer ended it (memory limit exceeded). */
  readonly oomKilled?: boolean;
  /** Where stdout and stderr go (one file, lines interleaved as written). */
  readonly logPath: string;
  /** 'cri': each line is `<RFC3339Nano> stdout|stderr F|P <text>` (see cri-log.ts); 'raw' (default): the output as written. */
  readonly logFormat?: 'cri' | 'raw';
}

export interface Runtime {
  readonly name: 'runc' | 'process';
  /** Creates and starts a container; resolves once it is running (or has already exited). */
  start(spec: ContainerSpec): Promise<ContainerState>;
  /**
   * `signal` (default SIGTERM; the image's StopSignal when it has one), then
   * SIGKILL after `graceMs`; resolves with the exited state. No-op if already exited.
   */
  stop(id: string, graceMs: number, signal?: NodeJS.Signals): Promise<ContainerState>;
  /** Removes an exited container: state, bundle, rootfs mounts, cgroups, logs. No-op if unknown. */
  remove(id: string): Promise<void>;
  /** Current state of one container, or undefined if the runtime does not know it. */
  state(id: string): Promise<ContainerState | undefined>;
  /** Every container the runtime knows, including ones started before this process (adoption). */
  list(): Promise<ContainerState[]>;
  /**
   * Runs a command in a running container (ctl exec), with its environment,
   * user and working directory. Rejects with a NotFoundError (no such
   * container or executable) or FailedPreconditionError (not running).
   */
  exec(id: string, options: ExecOptions): Promise<ExecSession>;
}

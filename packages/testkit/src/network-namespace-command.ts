// Running a program inside a named network namespace (one `ip netns add`
// made), and only that: `nsenter --net=/run/netns/NAME` switches the network
// namespace and execs the program, so its pid is the program's own and
// signals reach it. Unlike `ip netns exec`, which also gives the program a
// mount namespace of its own with a fresh /sys, the program keeps this
// machine's mounts: runc finds the cgroup hierarchies under /sys/fs/cgroup,
// and what an agent mounts (image layers, container root filesystems) is
// visible to the `--reset` run that cleans up after it.

/** Where `ip netns add` keeps the namespace files. */
export const NETNS_DIR = '/run/netns';

/** `command args`, to run inside `netns` (or as it is when `netns` is undefined). */
export function inNetworkNamespace(
  netns: string | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  if (netns === undefined) return { command, args: [...args] };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(netns)) throw new Error(`"${netns}" is not a network namespace name`);
  return { command: 'nsenter', args: [`--net=${NETNS_DIR}/${netns}`, '--', command, ...args] };
}

// `skiff-agent --reset`: remove every container, mount, cgroup and pod network
// namespace this node's agent created, and its VXLAN overlay (device, routes,
// neighbours, FDB entries, nftables table) — for decommissioning a node, and for
// tests that must leave the machine as they found it.
import type { PodNetwork } from './network/pod-network.js';
import type { Runtime } from './runtime/runtime.js';

const RESET_GRACE_MS = 2000;

export async function resetNode(
  runtime: Runtime,
  network: PodNetwork | undefined,
  removeOverlay?: () => Promise<boolean>,
): Promise<{ containers: number; pods: number; overlay: boolean }> {
  const containers = await runtime.list();
  await Promise.all(
    containers.map(async (state) => {
      if (state.status === 'running') await runtime.stop(state.id, RESET_GRACE_MS);
      await runtime.remove(state.id);
    }),
  );
  const attachments = (await network?.existing()) ?? new Map();
  for (const uid of attachments.keys()) await network?.detach(uid);
  const overlay = (await removeOverlay?.()) ?? false;
  return { containers: containers.length, pods: attachments.size, overlay };
}

// How pod networking fails: one error class whose message says what failed
// and, where possible, how to fix it, and the privilege check that runs before
// any `ip` call.

import { messageOf } from '@skiff/api/core';

/** A pod-network failure whose message says what failed and, where possible, how to fix it. */
export class PodNetworkError extends Error {
  override readonly name = 'PodNetworkError';
}

/**
 * Throws unless this process can manage network namespaces. Exported (with an
 * injectable uid) so the agent can choose a runtime up front and tests can
 * check the message without dropping privileges.
 */
export function checkPodNetworkPrivileges(uid: number | undefined = process.getuid?.()): void {
  if (uid === undefined) {
    throw new PodNetworkError('pod networking needs Linux network namespaces; use the process runtime on this platform');
  }
  if (uid !== 0) {
    throw new PodNetworkError(
      `pod networking needs root (this agent runs as uid ${uid}): it creates network namespaces, veth pairs ` +
        'and a bridge; run the agent as root, or use the process runtime (pods then share the host network)',
    );
  }
}

/** Runs one step and prefixes a failure with what the step was for. */
export async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new PodNetworkError(`${what}: ${messageOf(error)}`, { cause: error });
  }
}

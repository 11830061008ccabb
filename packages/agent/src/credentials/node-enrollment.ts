// What the agent starts with: the credentials in its state dir when it has
// joined before (the token is then not needed), otherwise those it gets by
// joining with the token. A token for another cluster than the saved
// credentials' is refused rather than silently ignored.
import { FailedPreconditionError, parseJoinToken } from '@skiff/api/core';
import { caCertificateHash } from '@skiff/api/x509/facts';
import type { Logger } from 'pino';
import { joinCluster } from './join.js';
import { loadNodeCredentials, pkiDir, saveNodeCredentials, type NodeCredentials } from './node-credentials.js';

export interface EnrollmentOptions {
  readonly stateDir: string;
  readonly nodeName: string;
  /** Control-plane addresses (HOST:PORT), tried in order. */
  readonly servers: readonly string[];
  /** The join token, needed only when the state dir holds no credentials. */
  readonly token?: string;
  /** Hosts the agent serves on (the certificate's SANs). */
  readonly addresses: readonly string[];
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

export async function enrollNode(options: EnrollmentOptions): Promise<NodeCredentials> {
  const saved = await loadNodeCredentials(options.stateDir, options.nodeName);
  const dir = pkiDir(options.stateDir);
  if (saved) {
    if (options.token !== undefined) {
      const pinned = parseJoinToken(options.token).caHash;
      const ours = caCertificateHash(saved.caPem);
      if (pinned !== ours) {
        throw new FailedPreconditionError(
          `this node joined the cluster whose CA is sha256:${ours}, but the token pins sha256:${pinned}: ` +
            `to move the node to the token's cluster, stop the agent, remove ${dir} (skiff-agent --reset does) and start it again`,
        );
      }
      options.log.info({ credentials: dir }, 'using the credentials in the state dir; the join token is not needed');
    }
    return saved;
  }
  if (options.token === undefined) {
    throw new FailedPreconditionError(
      `node ${options.nodeName} has not joined a cluster (no credentials in ${dir}): start the agent with --token, --token-file or SKIFF_TOKEN ` +
        `(\`skiff-controlplane token create\` prints one; the control plane writes its first to <data-dir>/token)`,
    );
  }
  const joined = await joinCluster({
    servers: options.servers,
    token: options.token,
    nodeName: options.nodeName,
    addresses: options.addresses,
    log: options.log,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await saveNodeCredentials(options.stateDir, joined);
  return joined;
}

// Joining a running etcd cluster: MemberAdd through the etcd API (the
// runtime reconfiguration etcd documents: add the member, then start it with
// --initial-cluster-state existing and the member list MemberAdd returned).
import { FailedPreconditionError } from '@skiff/api';
import { EtcdConnection, type EtcdStoreOptions } from './etcd-client.js';

export interface EtcdMemberInfo {
  /** Empty for a member that was added but has not started yet. */
  name: string;
  peerUrls: string[];
}

/**
 * Adds a member with `peerUrl` to the cluster reached at `options.endpoints`
 * and returns the `--initial-cluster` value the new member must start with
 * (`name=peerURL,…`, itself named `name`). Idempotent: a member already
 * added with this peer URL (an earlier attempt that crashed before starting)
 * is reused rather than added twice; one that already runs under another name is refused.
 */
export async function addEtcdMember(options: EtcdStoreOptions, member: { name: string; peerUrl: string }): Promise<string> {
  const connection = new EtcdConnection(options);
  try {
    const cluster = connection.client.cluster;
    const listed = await connection.call('memberList', () => cluster.memberList({}));
    const existing = listed.members.find((m) => m.peerURLs.includes(member.peerUrl));
    if (existing && existing.name !== '' && existing.name !== member.name) {
      throw new FailedPreconditionError(
        `etcd member ${existing.name} already uses peer URL ${member.peerUrl}; give this member another --etcd-peer-url, or remove that member first (etcdctl member remove ${existing.ID})`,
      );
    }
    const members = existing
      ? listed.members
      : (await connection.call('memberAdd', () => cluster.memberAdd({ peerURLs: [member.peerUrl] }))).members;
    return initialCluster(
      members.map((m) => ({ name: m.name, peerUrls: m.peerURLs })),
      member,
    );
  } finally {
    connection.markClosed();
    connection.release();
  }
}

/** `name=url,…` for every member; the one not started yet that has `self.peerUrl` is named `self.name`. */
export function initialCluster(members: readonly EtcdMemberInfo[], self: { name: string; peerUrl: string }): string {
  return members
    .flatMap((m) => {
      const name = m.peerUrls.includes(self.peerUrl) ? self.name : m.name;
      // Another member added but never started has no name: etcd refuses to start until it is removed or started.
      if (name === '') {
        throw new FailedPreconditionError(
          `etcd has a member added but never started (peer URLs ${m.peerUrls.join(',')}); start it or remove it (etcdctl member remove) before adding another`,
        );
      }
      return m.peerUrls.map((url) => `${name}=${url}`);
    })
    .join(',');
}

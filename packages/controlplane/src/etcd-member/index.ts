// etcd-member/: HA mode's local etcd member, which the control plane starts (or
// joins to a running cluster), supervises and stops — its flags and command
// line, and the supervisor. Below the loops, above store/ and pki/.
export { EtcdMember } from './etcd-member.js';
export { ELECTION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, checkEtcdMemberConfig, etcdArgs, parseInitialCluster, type EtcdMemberConfig } from './etcd-member-config.js';
export { etcdStoreTls, readEtcdStoreTls } from './etcd-store-tls.js';

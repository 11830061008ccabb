import { InvalidError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { checkEtcdMemberConfig, etcdArgs, parseInitialCluster, type EtcdMemberConfig } from './etcd-member-config.js';

const base: EtcdMemberConfig = {
  name: 'n1',
  peerUrl: 'https://10.0.0.1:2380',
  clientUrl: 'https://10.0.0.1:2379',
  initialCluster: 'n1=https://10.0.0.1:2380,n2=https://10.0.0.2:2380,n3=https://10.0.0.3:2380',
  dataDir: '/var/lib/skiff/controlplane/etcd',
};
const message = (config: EtcdMemberConfig): string => {
  try {
    checkEtcdMemberConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidError);
    return (error as Error).message;
  }
  return 'accepted';
};

describe('checkEtcdMemberConfig', () => {
  it('accepts a static bootstrap and a join', () => {
    expect(message(base)).toBe('accepted');
    const { initialCluster: _, ...join } = base;
    expect(message({ ...join, join: ['https://10.0.0.2:2379'] })).toBe('accepted');
  });

  it('refuses plaintext, host names, missing ports, both or neither of bootstrap and join, and a cluster list without this member', () => {
    expect(message({ ...base, peerUrl: 'http://10.0.0.1:2380' })).toContain('--etcd-peer-url http://10.0.0.1:2380: must be https');
    expect(message({ ...base, clientUrl: 'https://etcd-1:2379' })).toContain('the host must be an IP address');
    expect(message({ ...base, clientUrl: 'https://10.0.0.1' })).toContain('explicit port');
    expect(message({ ...base, join: ['https://10.0.0.2:2379'] })).toContain('exactly one of --etcd-initial-cluster');
    const { initialCluster: _, ...neither } = base;
    expect(message(neither)).toContain('exactly one of --etcd-initial-cluster');
    expect(message({ ...base, initialCluster: 'n2=https://10.0.0.2:2380' })).toContain('must list this member as n1=https://10.0.0.1:2380');
    expect(message({ ...base, name: 'bad name' })).toContain('--etcd-member "bad name"');
    expect(() => parseInitialCluster('n1')).toThrow('expected name=https://IP:PORT');
  });
});

describe('etcdArgs', () => {
  it('runs etcd with client and peer TLS from the cluster CA, certificates required, and short raft timings', () => {
    const args = etcdArgs(base, { caFile: '/p/ca.crt', certFile: '/p/etcd/member.crt', keyFile: '/p/etcd/member.key' }, base.initialCluster!, 'new', 'skiff-abc');
    const text = args.join(' ');
    for (const flag of ['--client-cert-auth', '--peer-client-cert-auth']) expect(args).toContain(flag);
    expect(text).toContain('--trusted-ca-file /p/ca.crt --cert-file /p/etcd/member.crt --key-file /p/etcd/member.key');
    expect(text).toContain('--peer-trusted-ca-file /p/ca.crt --peer-cert-file /p/etcd/member.crt --peer-key-file /p/etcd/member.key');
    expect(text).toContain('--heartbeat-interval 100 --election-timeout 500');
    expect(text).toContain(`--initial-cluster ${base.initialCluster} --initial-cluster-state new --initial-cluster-token skiff-abc`);
    expect(text).toContain('--listen-client-urls https://10.0.0.1:2379 --advertise-client-urls https://10.0.0.1:2379');
  });
});

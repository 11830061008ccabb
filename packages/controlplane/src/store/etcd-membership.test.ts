import { FailedPreconditionError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { initialCluster } from './etcd-membership.js';

describe('initialCluster', () => {
  it('names every member, the new one (not started, no name yet) by its peer URL', () => {
    const members = [
      { name: 'cp1', peerUrls: ['https://127.0.0.31:2380'] },
      { name: '', peerUrls: ['https://127.0.0.34:2380'] },
    ];
    expect(initialCluster(members, { name: 'cp4', peerUrl: 'https://127.0.0.34:2380' })).toBe('cp1=https://127.0.0.31:2380,cp4=https://127.0.0.34:2380');
  });

  it('refuses while another added member has never started', () => {
    const members = [{ name: '', peerUrls: ['https://127.0.0.35:2380'] }];
    expect(() => initialCluster(members, { name: 'cp4', peerUrl: 'https://127.0.0.34:2380' })).toThrow(FailedPreconditionError);
  });
});

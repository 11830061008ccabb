import { describe, expect, it } from 'vitest';
import { parseEtcdCareFlags } from './etcd-care.js';

const defaults = { interval: '1m', defragThreshold: '0.5', defragMinSize: '16Mi', quotaBackendBytes: '2Gi' };

describe('parseEtcdCareFlags', () => {
  it('reads durations, fractions and sizes', () => {
    expect(parseEtcdCareFlags(defaults)).toEqual({ intervalMs: 60_000, defragThreshold: 0.5, defragMinBytes: 16 * 2 ** 20, quotaBytes: 2 * 2 ** 30 });
    expect(parseEtcdCareFlags({ ...defaults, interval: '0', defragThreshold: '0', quotaBackendBytes: '8589934592' })).toMatchObject({
      intervalMs: 0,
      defragThreshold: 0,
      quotaBytes: 8589934592,
    });
  });

  it('names the flag and an example when a value is wrong', () => {
    expect(() => parseEtcdCareFlags({ ...defaults, defragThreshold: '50%' })).toThrow(/--etcd-defrag-threshold must be a fraction from 0 \(never\) to 1, e\.g\. 0\.5, not "50%"/);
    expect(() => parseEtcdCareFlags({ ...defaults, defragThreshold: '' })).toThrow(/--etcd-defrag-threshold/);
    expect(() => parseEtcdCareFlags({ ...defaults, quotaBackendBytes: '-1' })).toThrow(/--etcd-quota-backend-bytes must be a size such as 16Mi/);
    expect(() => parseEtcdCareFlags({ ...defaults, interval: 'often' })).toThrow(/--etcd-maintenance-interval/);
  });
});

// Scheduling constraints end to end, on agents with the process runtime (this
// suite is about placement, not isolation): node selectors, taints and
// tolerations, and the per-reason message when nothing fits.
import type { Pod } from '@skiff/api';
import { startLocalCluster, waitFor, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster();
  await cluster.addAgent({ name: 'plain', runtime: 'process', cpu: '4', memory: '2Gi', labels: { disk: 'hdd' } });
  await cluster.addAgent({ name: 'fast', runtime: 'process', cpu: '4', memory: '2Gi', labels: { disk: 'ssd' } });
  await cluster.addAgent({ name: 'gpu', runtime: 'process', cpu: '4', memory: '2Gi', taints: ['gpu=true:NoSchedule'] });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

const pod = (name: string, extra: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers: [{ name: main, image: none, command: ["/bin/sleep", "3600"], resources: { requests: { cpu: 500m } } }]
${extra}`;

async function placed(name: string): Promise<string> {
  return waitFor(
    async () => {
      const result = await cluster.ctl(['get', 'pod', name, '-o', 'json']);
      return (JSON.parse(result.stdout) as Pod).spec.nodeName;
    },
    { timeoutMs: 20_000, description: `${name} to be scheduled` },
  );
}

describe('scheduling constraints', () => {
  test('a tainted node registers its taint, and only pods that tolerate it land there', async () => {
    const node = JSON.parse((await cluster.ctl(['get', 'node', 'gpu', '-o', 'json'])).stdout);
    expect(node.spec.taints).toEqual([{ key: 'gpu', value: 'true', effect: 'NoSchedule' }]);

    await cluster.ctl(['cordon', 'plain']);
    await cluster.ctl(['cordon', 'fast']);
    await cluster.ctl(['apply', '-f', '-'], { stdin: pod('intolerant', '') });
    await waitFor(
      async () => /0\/3 nodes are available: 2 node\(s\) were unschedulable, 1 node\(s\) had untolerated taint \{gpu: true\}\./.test((await cluster.ctl(['describe', 'pod', 'intolerant'])).stdout),
      { timeoutMs: 20_000, description: 'a FailedScheduling event naming the taint' },
    );
    await cluster.ctl(['apply', '-f', '-'], {
      stdin: pod('tolerant', '  tolerations: [{ key: gpu, operator: Equal, value: "true", effect: NoSchedule }]\n'),
    });
    expect(await placed('tolerant')).toBe('gpu');

    // Capacity returns: the waiting pod is retried at once and lands on an untainted node.
    await cluster.ctl(['uncordon', 'plain']);
    await cluster.ctl(['uncordon', 'fast']);
    expect(['plain', 'fast']).toContain(await placed('intolerant'));
    await cluster.ctl(['delete', 'pod', 'tolerant', 'intolerant']);
  });

  test('nodeSelector pins pods to matching nodes', async () => {
    await cluster.ctl(['apply', '-f', '-'], { stdin: pod('wants-ssd', '  nodeSelector: { disk: ssd }\n') });
    expect(await placed('wants-ssd')).toBe('fast');
    await cluster.ctl(['apply', '-f', '-'], { stdin: pod('wants-nvme', '  nodeSelector: { disk: nvme }\n') });
    await waitFor(
      // Each node counts its first failing filter only: the selector is checked before taints.
      async () => /0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./.test(
        (await cluster.ctl(['describe', 'pod', 'wants-nvme'])).stdout,
      ),
      { timeoutMs: 20_000, description: 'a FailedScheduling event naming the selector' },
    );
    await cluster.ctl(['delete', 'pod', 'wants-ssd', 'wants-nvme']);
  });
});

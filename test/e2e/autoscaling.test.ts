// A HorizontalPodAutoscaler on real runc containers: a Deployment whose pods
// busy-loop while a ConfigMap says `busy` (each limited to 100m of CPU,
// requesting 50m), an HPA holding 50 % CPU. The agent samples the pods'
// cgroups every second, the control plane scrapes every second and evaluates
// the HPA every second; the load is switched by rewriting the ConfigMap, which
// every pod (old and new) reads through its volume.
import type { Deployment, HorizontalPodAutoscaler, Pod } from '@skiff/api';
import { skipUnlessRoot, waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { useRuncCluster } from '../harness/runc-cluster.js';

const NODE = 'hpa-node';
const DOWN_WINDOW_S = 10;
const skip = skipUnlessRoot({ commands: ['runc', 'conmon', 'etcd', 'docker-registry', 'skopeo'], files: ['/bin/busybox'] });
const fixture = skip
  ? undefined
  : useRuncCluster(
      [{ name: NODE, cpu: '2', memory: '2Gi', pods: '10', extraArgs: ['--metrics-resolution', '1s'] }],
      ['--metric-resolution', '1s', '--horizontal-pod-autoscaler-sync-period', '1s'],
    );

const loadConfig = (mode: 'busy' | 'idle') => `apiVersion: v1
kind: ConfigMap
metadata: { name: load }
data: { mode: ${mode} }
`;

// Busy: a shell loop of arithmetic, re-reading the mode every 20,000 rounds; idle: a read a second.
const LOOP = 'while :; do if [ \\"$(cat /etc/load/mode)\\" = busy ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 1; fi; done';

const app = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: burner }
spec:
  replicas: 1
  selector: { matchLabels: { app: burner } }
  template:
    metadata: { labels: { app: burner } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: ${image}
        command: ["sh", "-c", "${LOOP}"]
        resources:
          requests: { cpu: 50m, memory: 16Mi }
          limits: { cpu: 100m, memory: 32Mi }
        volumeMounts: [{ name: load, mountPath: /etc/load }]
      volumes: [{ name: load, configMap: { name: load } }]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: burner }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: burner }
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: { name: cpu, target: { type: Utilization, averageUtilization: 50 } }
  behavior:
    scaleDown: { stabilizationWindowSeconds: ${DOWN_WINDOW_S} }
`;

describe.skipIf(skip)('HorizontalPodAutoscaler on runc', () => {
  let cluster: LocalCluster;
  let image: string;

  const ctl = async (args: string[], stdin?: string): Promise<string> => {
    const result = await cluster.ctl(args, stdin === undefined ? {} : { stdin });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await ctl([...args, '-o', 'json'])) as T;
  const hpa = () => getJson<HorizontalPodAutoscaler>(['get', 'hpa', 'burner']);
  const deployment = () => getJson<Deployment>(['get', 'deployment', 'burner']);
  const runningPods = async (): Promise<Pod[]> =>
    (await getJson<{ items: Pod[] }>(['get', 'pods', '-l', 'app=burner'])).items.filter(
      (p) => !p.metadata.deletionTimestamp && p.status?.containerStatuses?.every((c) => c.state.running),
    );

  beforeAll(() => {
    if (!fixture) return;
    ({ cluster, image } = fixture());
  });

  test('busy pods make it scale up to hold the target; idle, it scales down only after the stabilization window', async () => {
    await ctl(['apply', '-f', '-'], loadConfig('busy'));
    await ctl(['apply', '-f', '-'], app(image));

    // Each busy pod uses up to its 100m limit against a 50m request (up to 200 %): 1 → 3, the maximum.
    const scaledUp = await waitFor(
      async () => {
        const current = await hpa();
        return current.status?.desiredReplicas === 3 && current.status.currentReplicas === 3 ? current : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, description: 'the HPA to scale burner to 3' },
    );
    expect((await deployment()).spec.replicas).toBe(3);
    const utilization = scaledUp.status?.currentMetrics?.[0]?.resource?.current.averageUtilization ?? 0;
    expect(utilization).toBeGreaterThan(55);
    expect(scaledUp.status?.conditions?.find((c) => c.type === 'AbleToScale')).toMatchObject({ status: 'True' });
    expect(scaledUp.status?.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'True' });
    await waitFor(async () => ((await runningPods()).length === 3 ? true : undefined), { timeoutMs: 90_000, intervalMs: 500, description: 'three burner pods running' });
    // Still above target with three: held at maxReplicas, and the HPA says so.
    await waitFor(
      async () => (await hpa()).status?.conditions?.find((c) => c.type === 'ScalingLimited' && c.status === 'True' && c.reason === 'TooManyReplicas'),
      { timeoutMs: 30_000, intervalMs: 500, description: 'ScalingLimited TooManyReplicas at 3' },
    );
    const described = await ctl(['describe', 'hpa', 'burner']);
    expect(described).toMatch(/SuccessfulRescale\s+.*New size: [23]; reason: cpu resource utilization \(percentage of request\) above target/);
    expect(await ctl(['get', 'hpa', 'burner'])).toMatch(/^burner\s+Deployment\/burner\s+cpu: \d+%\/50%\s+1\s+3\s+3\s+/m);

    // Load off: the recommendation falls to 1, but the scale-down waits for the window.
    const idleSince = Date.now();
    await ctl(['apply', '-f', '-'], loadConfig('idle'));
    const scaledDown = await waitFor(
      async () => {
        const current = await hpa();
        return current.status?.desiredReplicas === 1 && current.status.currentReplicas === 1 ? current : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: 'the HPA to scale burner back to 1' },
    );
    // Not a timing measurement: an ordering. The last recommendation of 3 was made after the load
    // stopped (its metrics lag by a resolution or more), so the scale-down cannot come earlier than
    // the window after the switch.
    expect(Date.parse(scaledDown.status?.lastScaleTime ?? '') - idleSince).toBeGreaterThanOrEqual(DOWN_WINDOW_S * 1000 - 1000);
    expect((await deployment()).spec.replicas).toBe(1);
    expect(await ctl(['describe', 'hpa', 'burner'])).toMatch(/SuccessfulRescale\s+.*New size: 1; reason: All metrics below target/);
    await ctl(['delete', 'hpa', 'burner']);
    await ctl(['delete', 'deployment', 'burner']);
  }, 300_000);
});

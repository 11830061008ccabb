// Services end to end on a real cluster (etcd, control plane, two agents with
// the process runtime — this suite is about the control plane's side: IPs,
// node ports, EndpointSlices, ctl's output): a Deployment behind a NodePort
// Service, its EndpointSlice following scaling and deletion, and ctl
// printing it all as kubectl would.
import type { EndpointSlice, Service } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { useProcessCluster } from '../harness/process-cluster.js';

const fixture = useProcessCluster();

const deployment = (replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      containers:
        - name: main
          image: none
          command: ["/bin/sleep", "3600"]
          ports: [{ name: http, containerPort: 8080 }]
          resources: { requests: { cpu: 100m, memory: 16Mi } }
`;

const service = `apiVersion: v1
kind: Service
metadata: { name: shop }
spec:
  type: NodePort
  selector: { app: shop }
  ports:
    - { name: http, port: 80, targetPort: http, nodePort: 30080 }
`;

type Ctl = (args: readonly string[], stdin?: string) => ReturnType<ReturnType<typeof fixture>['cluster']['ctl']>;

async function slices(ctl: Ctl): Promise<EndpointSlice[]> {
  const result = await ctl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=shop', '-o', 'json']);
  const parsed = JSON.parse(result.stdout) as { items: EndpointSlice[] };
  return parsed.items;
}

describe('Services on a real cluster', () => {
  test('a NodePort Service gets an IP and its node port; its EndpointSlice follows scaling and deletion', async () => {
    const { cluster } = fixture();
    const ctl: Ctl = (args, stdin) => cluster.ctl(args, stdin === undefined ? {} : { stdin });
    expect((await ctl(['apply', '-f', '-'], service)).stdout).toBe('service/shop created\n');
    expect((await ctl(['apply', '-f', '-'], deployment(3))).stdout).toBe('deployment.apps/shop created\n');

    const stored = JSON.parse((await ctl(['get', 'svc', 'shop', '-o', 'json'])).stdout) as Service;
    expect(stored.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(stored.spec.clusterIPs).toEqual([stored.spec.clusterIP]);
    expect(stored.spec.ports[0]).toEqual({ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 });
    // Applying the same file again changes nothing (the IP and node port are kept).
    expect((await ctl(['apply', '-f', '-'], service)).stdout).toBe('service/shop unchanged\n');

    const ready = async (count: number): Promise<EndpointSlice[]> =>
      waitFor(
        async () => {
          const found = await slices(ctl);
          const endpoints = found.flatMap((s) => s.endpoints);
          return endpoints.length === count && endpoints.every((e) => e.conditions.ready === true) ? found : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, description: `${count} ready endpoints for shop` },
      );
    const three = await ready(3);
    expect(three).toHaveLength(1);
    const slice = three[0]!;
    expect(slice.metadata.name).toMatch(/^shop-[0-9a-f]{5}$/);
    expect(slice.metadata.labels).toEqual({
      'kubernetes.io/service-name': 'shop',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.skiff.io',
    });
    expect(slice.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Service', name: 'shop', uid: stored.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(slice.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080 }]);
    // Bin-packing may put them all on one node; each endpoint names the node its pod runs on.
    for (const endpoint of slice.endpoints) expect(['node-a', 'node-b']).toContain(endpoint.nodeName);
    expect(slice.endpoints.every((e) => e.targetRef?.kind === 'Pod' && e.targetRef.name.startsWith('shop-'))).toBe(true);

    const svcTable = await ctl(['get', 'svc', 'shop']);
    expect(svcTable.stdout).toMatch(
      new RegExp(`^NAME\\s+TYPE\\s+CLUSTER-IP\\s+EXTERNAL-IP\\s+PORT\\(S\\)\\s+AGE\\nshop\\s+NodePort\\s+${stored.spec.clusterIP!.replace(/\./g, '\\.')}\\s+<none>\\s+80:30080/TCP\\s+\\d+s\\n$`),
    );
    expect((await ctl(['get', 'svc', 'shop', '-o', 'wide'])).stdout).toMatch(/\s+SELECTOR\n.*\s+app=shop\n$/);
    const sliceTable = await ctl(['get', 'endpointslices']);
    expect(sliceTable.stdout).toMatch(new RegExp(`^NAME\\s+ADDRESSTYPE\\s+PORTS\\s+ENDPOINTS\\s+AGE\\n${slice.metadata.name}\\s+IPv4\\s+8080\\s+\\S+\\s+\\d+s\\n$`));
    const described = (await ctl(['describe', 'svc', 'shop'])).stdout;
    expect(described).toContain('Type:                     NodePort\n');
    expect(described).toContain('Port:                     http  80/TCP\nTargetPort:               http/TCP\nNodePort:                 http  30080/TCP\n');
    expect(described).toMatch(/Endpoints:\s+\S+:8080,\S+:8080,\S+:8080\n/);

    // Scaled down: the same slice, updated in place, holds the one pod left.
    await ctl(['scale', 'deployment', 'shop', '--replicas', '1']);
    const one = await ready(1);
    expect(one.map((s) => s.metadata.name)).toEqual([slice.metadata.name]);
    expect(Number(one[0]!.metadata.resourceVersion)).toBeGreaterThan(Number(slice.metadata.resourceVersion));

    // No pods at all: one empty slice stays, and the Service has a Warning event.
    await ctl(['delete', 'deployment', 'shop']);
    await ready(0);
    await waitFor(async () => /Warning\s+NoReadyEndpoints/.test((await ctl(['describe', 'svc', 'shop'])).stdout), {
      timeoutMs: 20_000,
      description: 'a NoReadyEndpoints event on the Service',
    });

    // Deleting the Service takes its slices and frees its node port for another Service.
    expect((await ctl(['delete', 'svc', 'shop'])).code).toBe(0);
    await waitFor(async () => ((await slices(ctl)).length === 0 ? true : undefined), { timeoutMs: 20_000, description: 'slices deleted' });
    const reuse = service.replace('name: shop }', 'name: other }');
    expect((await ctl(['apply', '-f', '-'], reuse)).stdout).toBe('service/other created\n');
    expect((await ctl(['delete', 'svc', 'other'])).code).toBe(0);
  }, 180_000);
});

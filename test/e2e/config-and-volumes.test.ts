// Configuration and volumes in pods on a real runc agent (one host of the
// multi-host harness): ConfigMap and Secret values as env (envFrom with a
// prefix, valueFrom), pod fields and resources, $(VAR) expansion, and as
// volumes — a configMap update reaching the mounted file inside the running
// container, secret files with their modes on a tmpfs, an emptyDir two
// containers share, a downwardAPI file, subPath, a projected volume with a
// ServiceAccount token the node requested; a pod whose ConfigMap does
// not exist yet waits in CreateContainerConfigError naming it, then starts
// once it is created; hostPath is refused by default; the pod's mounts and
// files are gone once it is deleted. Everything is read from inside the
// containers with ctl exec.
//
// Needs root. Network safety: nothing here talks to a LAN or pod address from
// the root namespace; ctl runs inside the control-plane host.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { useBusyboxHosts } from '../harness/busybox-hosts.js';

const suite = useBusyboxHosts('config-volumes', { hosts: 1, agent: { cpu: '2', memory: '2Gi', pods: '20' } });
const { skip, cluster: theCluster, ctl } = suite;

async function pod(name: string): Promise<Pod> {
  return JSON.parse(await ctl(['get', 'pod', name, '-o', 'json'])) as Pod;
}

async function exec(name: string, container: string, script: string): Promise<string> {
  return ctl(['exec', name, '-c', container, '--', 'sh', '-c', script]);
}

async function waitRunning(name: string): Promise<Pod> {
  let last: Pod | undefined;
  await waitFor(
    async () => {
      last = await pod(name);
      return last.status?.phase === 'Running' && (last.status.containerStatuses ?? []).every((s) => s.state?.running !== undefined);
    },
    { timeoutMs: 60_000, intervalMs: 250, description: `pod ${name} running (last status ${JSON.stringify(last?.status)})` },
  );
  if (!last) throw new Error('unreachable');
  return last;
}

const configs = (greeting: string): string => `apiVersion: v1
kind: ConfigMap
metadata: { name: app-config }
data:
  greeting: ${greeting}
  app.conf: |
    mode=fast
  1st: skipped without a prefix
---
apiVersion: v1
kind: Secret
metadata: { name: app-secret }
stringData:
  password: s3cret
  token: t0ken
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: config-reader }
`;

const configBox = (tier = 'test'): string => `apiVersion: v1
kind: Pod
metadata:
  name: config-box
  labels: { app: config-box, tier: ${tier} }
spec:
  terminationGracePeriodSeconds: 0
  serviceAccountName: config-reader
  containers:
  - name: main
    image: ${suite.image()}
    # Not under a shell: sh would drop names like CFG_app.conf from what it passes on (read from /proc/1/environ below).
    command: ["sleep", "3600"]
    resources: { limits: { memory: 64Mi, cpu: 250m } }
    envFrom:
    - configMapRef: { name: app-config }
    - configMapRef: { name: app-config }
      prefix: CFG_
    - secretRef: { name: app-secret }
      prefix: SECRET_
    env:
    - { name: GREETING, valueFrom: { configMapKeyRef: { name: app-config, key: greeting } } }
    - { name: PASSWORD, valueFrom: { secretKeyRef: { name: app-secret, key: password } } }
    - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
    - { name: POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
    - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
    - { name: NODE, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
    - { name: TIER, valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }
    - { name: MEMORY_MI, valueFrom: { resourceFieldRef: { resource: limits.memory, divisor: 1Mi } } }
    - { name: CPU, valueFrom: { resourceFieldRef: { resource: limits.cpu } } }
    - { name: MESSAGE, value: "$(GREETING) from $(POD_NAME), not $(UNDEFINED)" }
    volumeMounts:
    - { name: config, mountPath: /etc/app }
    - { name: config, mountPath: /etc/only-app.conf, subPath: app.conf }
    - { name: secret, mountPath: /etc/secret }
    - { name: shared, mountPath: /shared }
    - { name: podinfo, mountPath: /etc/podinfo }
    - { name: scratch, mountPath: /scratch }
    - { name: bundle, mountPath: /var/run/secrets/bundle }
  - name: sidecar
    image: ${suite.image()}
    command: ["sh", "-c", "echo from-sidecar > /data/hello; echo started $(GREETING) '$$(GREETING)' > /data/main; exec sleep 3600"]
    env:
    - { name: GREETING, valueFrom: { configMapKeyRef: { name: app-config, key: greeting } } }
    volumeMounts:
    - { name: shared, mountPath: /data }
  volumes:
  - name: config
    configMap: { name: app-config }
  - name: secret
    secret:
      secretName: app-secret
      items:
      - { key: password, path: password }
      - { key: token, path: nested/token, mode: 0400 }
  - name: shared
    emptyDir: {}
  - name: scratch
    emptyDir: { medium: Memory, sizeLimit: 8Mi }
  - name: bundle
    projected:
      defaultMode: 0440
      sources:
      - configMap: { name: app-config, items: [{ key: greeting, path: greeting }] }
      - secret: { name: app-secret, items: [{ key: password, path: secret/password }] }
      - downwardAPI: { items: [{ path: namespace, fieldRef: { fieldPath: metadata.namespace } }] }
      - serviceAccountToken: { path: token, expirationSeconds: 600 }
  - name: podinfo
    downwardAPI:
      items:
      - { path: labels, fieldRef: { fieldPath: metadata.labels } }
      - { path: mem, resourceFieldRef: { containerName: main, resource: limits.memory, divisor: 1Mi } }
`;

describe.skipIf(skip)('ConfigMaps, Secrets and volumes in a pod on runc', () => {
  let uid = '';

  test('env from envFrom, valueFrom, pod fields and resources, with $(VAR) expanded as Kubernetes does', async () => {
    await ctl(['apply', '-f', '-'], configs('hello'));
    await ctl(['apply', '-f', '-'], configBox());
    const running = await waitRunning('config-box');
    uid = running.metadata.uid ?? '';
    // From the container's first process, which no shell started.
    const env = await exec('config-box', 'main', "tr '\\0' '\\n' < /proc/1/environ");
    const vars = new Map(env.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    expect(Object.fromEntries(['greeting', 'CFG_greeting', 'CFG_app.conf', 'CFG_1st', 'SECRET_password', 'SECRET_token', 'GREETING', 'PASSWORD', 'POD_NAME', 'POD_NAMESPACE', 'NODE', 'TIER', 'MEMORY_MI', 'CPU', 'MESSAGE'].map((k) => [k, vars.get(k)]))).toEqual({
      greeting: 'hello',
      CFG_greeting: 'hello',
      'CFG_app.conf': 'mode=fast',
      CFG_1st: 'skipped without a prefix',
      SECRET_password: 's3cret',
      SECRET_token: 't0ken',
      GREETING: 'hello',
      PASSWORD: 's3cret',
      POD_NAME: 'config-box',
      POD_NAMESPACE: 'default',
      NODE: 'node-1',
      TIER: 'test',
      MEMORY_MI: '64',
      CPU: '1',
      MESSAGE: 'hello from config-box, not $(UNDEFINED)',
    });
    expect(vars.get('POD_IP')).toBe(running.status?.podIP);
    // The key that is no variable name was skipped, and said so.
    expect(vars.has('1st')).toBe(false);
    const events = await ctl(['get', 'events', '-o', 'json']);
    expect(events).toContain('Keys [1st] from the EnvFrom configMap default/app-config were skipped since they are considered invalid environment variable names.');
    // command: $(GREETING) expanded, $$(GREETING) the literal.
    expect(await exec('config-box', 'main', 'cat /shared/main')).toBe('started hello $(GREETING)\n');
  });

  test('configMap, secret, emptyDir, downwardAPI and subPath volumes, as the containers see them', async () => {
    expect(await exec('config-box', 'main', 'cat /etc/app/greeting; cat /etc/app/app.conf; cat /etc/only-app.conf')).toBe('hellomode=fast\nmode=fast\n');
    // kubelet's layout: user-visible names are symlinks through ..data.
    expect(await exec('config-box', 'main', 'readlink /etc/app/greeting; readlink /etc/app/..data | grep -c "^\\.\\.20"')).toBe('..data/greeting\n1\n');
    expect(await exec('config-box', 'main', 'cat /etc/secret/password; echo; cat /etc/secret/nested/token; echo; stat -L -c %a /etc/secret/password /etc/secret/nested/token')).toBe(
      's3cret\nt0ken\n644\n400\n',
    );
    // Secrets on tmpfs, the Memory emptyDir too (sized), configuration read-only.
    const mounts = await exec('config-box', 'main', 'cat /proc/mounts');
    expect(mounts).toMatch(/^tmpfs \/etc\/secret tmpfs ro[,\s]/m);
    expect(mounts).toMatch(/^tmpfs \/scratch tmpfs rw.*size=8192k/m);
    expect(mounts).toMatch(/ \/etc\/app \S+ ro[,\s]/m);
    expect(await exec('config-box', 'main', 'touch /etc/app/x 2>&1 || echo refused')).toContain('refused');
    // One emptyDir, two containers.
    expect(await exec('config-box', 'main', 'cat /shared/hello')).toBe('from-sidecar\n');
    await exec('config-box', 'main', 'echo from-main > /shared/back');
    expect(await exec('config-box', 'sidecar', 'cat /data/back')).toBe('from-main\n');
    expect(await exec('config-box', 'main', 'cat /etc/podinfo/labels; echo; cat /etc/podinfo/mem')).toBe('app="config-box"\ntier="test"\n64');
    // A projected volume: four sources in one directory, its defaultMode, a ServiceAccount token the node asked for.
    const bundle = '/var/run/secrets/bundle';
    expect(await exec('config-box', 'main', `cat ${bundle}/greeting ${bundle}/secret/password ${bundle}/namespace; echo; stat -L -c %a ${bundle}/greeting`)).toBe('hellos3cretdefault\n440\n');
    const token = await exec('config-box', 'main', `cat ${bundle}/token`);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string };
    expect(claims.sub).toBe('system:serviceaccount:default:config-reader');
  });

  test('a configMap update reaches the mounted file in the running container, a label change the downwardAPI file', async () => {
    await ctl(['apply', '-f', '-'], configs('updated'));
    await ctl(['apply', '-f', '-'], configBox('changed'));
    let seen = '';
    await waitFor(
      async () => {
        seen = await exec('config-box', 'main', 'cat /etc/app/greeting');
        return seen === 'updated';
      },
      { timeoutMs: 30_000, intervalMs: 250, description: `the mounted greeting to read "updated" (last "${seen}")` },
    );
    await waitFor(
      async () => {
        seen = await exec('config-box', 'main', 'cat /etc/podinfo/labels');
        return seen === 'app="config-box"\ntier="changed"';
      },
      { timeoutMs: 30_000, intervalMs: 250, description: `the labels file to follow the pod (last "${seen}")` },
    );
    // As in Kubernetes: env is fixed at start, and a subPath mount does not follow updates.
    expect(await exec('config-box', 'main', 'echo $GREETING')).toBe('hello\n');
  });

  test('a missing ConfigMap keeps the container in CreateContainerConfigError naming it, and the pod starts once it exists', async () => {
    await ctl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: { name: late-config }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: ${suite.image()}
    command: ["sh", "-c", "exec sleep 3600"]
    env:
    - { name: VALUE, valueFrom: { configMapKeyRef: { name: late, key: value } } }
`,
    );
    let waiting: unknown;
    await waitFor(
      async () => {
        const state = (await pod('late-config')).status?.containerStatuses?.[0]?.state;
        waiting = state?.waiting;
        return state?.waiting?.reason === 'CreateContainerConfigError' && state.waiting.message === 'configmap "late" not found';
      },
      { timeoutMs: 60_000, intervalMs: 250, description: `CreateContainerConfigError naming the ConfigMap (last ${JSON.stringify(waiting)})` },
    );
    await ctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: late }\ndata: { other: x }\n');
    await waitFor(
      async () => {
        const state = (await pod('late-config')).status?.containerStatuses?.[0]?.state;
        waiting = state?.waiting;
        return state?.waiting?.message === "couldn't find key value in ConfigMap default/late";
      },
      { timeoutMs: 30_000, intervalMs: 250, description: `the missing key named (last ${JSON.stringify(waiting)})` },
    );
    await ctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: late }\ndata: { value: arrived }\n');
    await waitRunning('late-config');
    expect(await exec('late-config', 'main', 'echo $VALUE')).toBe('arrived\n');
  });

  test('hostPath volumes are refused unless the namespace is allowed', async () => {
    const result = await theCluster().ctl(
      ['apply', '-f', '-'],
      {
        stdin: `apiVersion: v1
kind: Pod
metadata: { name: host-files }
spec:
  containers:
  - name: main
    image: ${suite.image()}
    volumeMounts: [{ name: etc, mountPath: /host-etc }]
  volumes:
  - name: etc
    hostPath: { path: /etc, type: Directory }
`,
      },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('pods "host-files" is forbidden: hostPath volumes are not allowed in namespace "default" (volume "etc")');
  });

  test("a deleted pod's mounts and volume files are removed, even when it went while the agent was down", async () => {
    expect(uid).not.toBe('');
    const agent = theCluster().hosts[0]?.agent;
    if (!agent) throw new Error('no agent');
    const volumesDir = join(agent.stateDir, 'pods', uid, 'volumes');
    expect(existsSync(volumesDir)).toBe(true);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).toContain(uid);
    await agent.process.stop();
    // The node lifecycle controller may have removed the pod of the stopped node first (a short eviction timeout here).
    const deleted = await theCluster().ctl(['delete', 'pod', 'config-box']);
    expect(deleted.code === 0 || deleted.stderr.includes('not found'), deleted.stderr).toBe(true);
    await agent.restart();
    await waitFor(async () => !existsSync(volumesDir) && !(await readFile('/proc/self/mountinfo', 'utf8')).includes(uid), {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: `the volumes of pod ${uid} unmounted and removed`,
    });
  });
});

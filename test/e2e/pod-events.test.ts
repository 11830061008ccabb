// kubelet's pod events from a real runc agent: pulling the image from a real
// registry, creating and starting the container, stopping it when the pod is
// deleted; and, for an image the registry does not have, the failed pull,
// ErrImagePull and the back-off. The agent records them through the control
// plane's Api with its node certificate; they are read back as a user reads
// them, through `ctl get events` and `ctl describe pod`.
import type { Event, Pod } from '@skiff/api';
import { waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { useRuncCluster } from '../harness/runc-cluster.js';

const fixture = useRuncCluster([{ name: 'node-a', cpu: '2', memory: '2Gi', pods: '10' }]);
let cluster: LocalCluster;
let image: string;

beforeAll(() => {
  ({ cluster, image } = fixture());
});

async function ctl(args: string[], stdin?: string): Promise<string> {
  const result = await cluster.ctl(args, stdin === undefined ? {} : { stdin });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

const podYaml = (name: string, podImage: string, policy = '') => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${podImage}
${policy}      command: ["/bin/busybox", "sleep", "3600"]
`;

async function pod(name: string): Promise<Pod> {
  return JSON.parse(await ctl(['get', 'pod', name, '-o', 'json'])) as Pod;
}

async function eventsAbout(name: string): Promise<Event[]> {
  const { items } = JSON.parse(await ctl(['get', 'events', '-o', 'json'])) as { items: Event[] };
  return items.filter((event) => event.involvedObject.kind === 'Pod' && event.involvedObject.name === name);
}

/** Polls until the pod's events include every reason+message pattern; returns them. */
async function waitForEvents(name: string, wanted: readonly [string, RegExp][], timeoutMs = 90_000): Promise<Event[]> {
  return waitFor(
    async () => {
      const events = await eventsAbout(name);
      return wanted.every(([reason, message]) => events.some((e) => e.reason === reason && message.test(e.message))) ? events : undefined;
    },
    { timeoutMs, intervalMs: 250, description: `events ${wanted.map(([reason]) => reason).join(', ')} about pod ${name}` },
  );
}

const find = (events: readonly Event[], reason: string, message: RegExp): Event => {
  const found = events.find((e) => e.reason === reason && message.test(e.message));
  if (!found) throw new Error(`no ${reason} event matching ${message}`);
  return found;
};

const quoted = (text: string) => JSON.stringify(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('pod events from a runc agent', () => {
  test('a pod that runs: Pulling, Pulled, Created, Started, in ctl get events and ctl describe pod; Killing when deleted', async () => {
    await ctl(['apply', '-f', '-'], podYaml('events-ok', image));
    await waitFor(async () => (await pod('events-ok')).status?.phase === 'Running', { timeoutMs: 90_000, intervalMs: 250, description: 'events-ok Running' });
    const uid = (await pod('events-ok')).metadata.uid;
    const events = await waitForEvents('events-ok', [
      ['Pulling', new RegExp(`^Pulling image ${quoted(image)}$`)],
      ['Pulled', new RegExp(`^Successfully pulled image ${quoted(image)} in \\d[\\dhmsµ.]*s \\(\\d[\\dhmsµ.]*s including waiting\\)\\. Image size: [1-9]\\d* bytes\\.$`)],
      ['Created', /^Created container: main$/],
      ['Started', /^Started container main$/],
    ]);
    for (const event of events) {
      expect(event.type).toBe('Normal');
      expect(event.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'events-ok', uid, fieldPath: 'spec.containers{main}' });
      expect(event.source).toEqual({ component: 'skiff-agent', host: 'node-a' });
      expect(event.count).toBe(1);
    }

    const table = await ctl(['get', 'events']);
    expect(table.split('\n')[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(table).toMatch(/Normal\s+Pulled\s+pod\/events-ok\s+Successfully pulled image/);
    expect(table).toMatch(/Normal\s+Started\s+pod\/events-ok\s+Started container main/);

    const described = await ctl(['describe', 'pod', 'events-ok']);
    const section = described.slice(described.indexOf('Events:'));
    for (const line of [/Normal\s+Pulling\s+\S+\s+skiff-agent\s+Pulling image/, /Normal\s+Pulled\s+\S+\s+skiff-agent\s+Successfully pulled/, /Normal\s+Created\s+\S+\s+skiff-agent\s+Created container: main/, /Normal\s+Started\s+\S+\s+skiff-agent\s+Started container main/]) {
      expect(section).toMatch(line);
    }

    // Deleted: the agent stops the container and says so, about the pod that is gone (the node authorizer remembers it by uid).
    await ctl(['delete', 'pod', 'events-ok']);
    const killing = find(await waitForEvents('events-ok', [['Killing', /^Stopping container main$/]], 60_000), 'Killing', /^Stopping container main$/);
    expect(killing).toMatchObject({ type: 'Normal', involvedObject: { uid, fieldPath: 'spec.containers{main}' }, source: { component: 'skiff-agent', host: 'node-a' } });
    expect(await ctl(['get', 'events'])).toMatch(/Normal\s+Killing\s+pod\/events-ok\s+Stopping container main/);
  }, 180_000);

  test('an image the registry does not have: Failed (the pull, then ErrImagePull), BackOff and ImagePullBackOff, repeats counted', async () => {
    const absent = image.replace(/\/[^/]+$/, '/absent:1');
    await ctl(['apply', '-f', '-'], podYaml('events-missing', absent));
    const events = await waitForEvents('events-missing', [
      ['Pulling', new RegExp(`^Pulling image ${quoted(absent)}$`)],
      ['Failed', new RegExp(`^Failed to pull image ${quoted(absent)}: not found: `)],
      ['Failed', /^Error: ErrImagePull$/],
      ['BackOff', new RegExp(`^Back-off pulling image ${quoted(absent)}$`)],
      ['Failed', /^Error: ImagePullBackOff$/],
    ]);
    expect(find(events, 'Failed', /^Failed to pull image/).type).toBe('Warning');
    expect(find(events, 'Failed', /^Error: ErrImagePull$/).type).toBe('Warning');
    expect(find(events, 'BackOff', /^Back-off pulling image/).type).toBe('Normal');
    expect(find(events, 'Failed', /^Error: ImagePullBackOff$/).type).toBe('Warning');

    // The agent retries after its back-off: the same events again are the same Events, counted.
    const repeated = await waitFor(
      async () => {
        const pulled = (await eventsAbout('events-missing')).find((e) => e.reason === 'Failed' && e.message === 'Error: ErrImagePull');
        return pulled && (pulled.count ?? 1) >= 2 ? pulled : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'ErrImagePull counted twice' },
    );
    expect(Date.parse(repeated.lastTimestamp ?? '')).toBeGreaterThan(Date.parse(repeated.firstTimestamp ?? ''));
    expect((await eventsAbout('events-missing')).filter((e) => e.message === 'Error: ErrImagePull')).toHaveLength(1);

    const described = await ctl(['describe', 'pod', 'events-missing']);
    const section = described.slice(described.indexOf('Events:'));
    expect(section).toMatch(/Warning\s+Failed\s+\S+ \(x\d+ over \S+\)\s+skiff-agent\s+Error: ErrImagePull/);
    expect(section).toMatch(/Normal\s+BackOff\s+.*skiff-agent\s+Back-off pulling image/);
    expect(await ctl(['get', 'events'])).toMatch(/Warning\s+Failed\s+pod\/events-missing\s+Error: ImagePullBackOff/);
  }, 180_000);

  test('pull policy Never with an absent image: ErrImageNeverPull', async () => {
    const absent = image.replace(/\/[^/]+$/, '/absent:2');
    await ctl(['apply', '-f', '-'], podYaml('events-never', absent, '      imagePullPolicy: Never\n'));
    const events = await waitForEvents('events-never', [
      ['ErrImageNeverPull', new RegExp(`^Container image ${quoted(absent)} is not present with pull policy of Never$`)],
      ['Failed', /^Error: ErrImageNeverPull$/],
    ]);
    expect(find(events, 'ErrImageNeverPull', /./).type).toBe('Warning');
  }, 120_000);
});

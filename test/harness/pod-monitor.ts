// Follows the pods of one label selector as the API server reports them, from
// inside the control-plane host (the API listens only there), and keeps the
// extremes a rollout test asserts on: the most pods that existed (not being
// deleted) and the fewest that were Ready, after every single event — a poll
// would miss a short-lived surge.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inNetworkNamespace, REPO_ROOT, type MultiHostCluster } from '@skiff/testkit';
import { LineProcess } from './line-process.js';

/** List, then watch from the list's revision; one JSON line per pod state: {"name","gone","ready"}. */
const MONITOR_SCRIPT = `
const [testkit, kubeconfig, namespace, selector] = process.argv.slice(1);
const { adminApiClient } = await import(testkit);
const client = adminApiClient(kubeconfig);
const report = (type, pod) => {
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  console.log(JSON.stringify({ name: pod.metadata.name, gone: type === 'DELETED' || pod.metadata.deletionTimestamp !== undefined, ready }));
};
client.List({ kind: 'pods', namespace, all_namespaces: false, label_selector: selector }, (error, answer) => {
  if (error) { console.error(String(error)); process.exit(1); }
  for (const item of answer.items_json) report('ADDED', JSON.parse(item));
  console.log('listed');
  const stream = client.Watch({ kind: 'pods', namespace, all_namespaces: false, label_selector: selector, resource_version: answer.resource_version });
  stream.on('data', (event) => report(event.type, JSON.parse(event.object_json)));
  stream.on('error', (e) => { console.error(String(e)); process.exit(1); });
});
process.on('SIGTERM', () => process.exit(0));
`;

export interface PodExtremes {
  readonly maxPods: number;
  readonly minReady: number;
}

export class PodMonitor {
  private readonly pods = new Map<string, boolean>();
  private extremes: { maxPods: number; minReady: number } | undefined;
  private listed = false;
  private readonly process: LineProcess;

  private constructor(command: { command: string; args: string[] }) {
    this.process = new LineProcess('pod-monitor', command, (line) => this.onLine(line));
  }

  static async start(cluster: MultiHostCluster, namespace: string, selector: string): Promise<PodMonitor> {
    const testkit = pathToFileURL(join(REPO_ROOT, 'packages', 'testkit', 'dist', 'index.js')).href;
    const monitor = new PodMonitor(
      inNetworkNamespace(cluster.controlPlane.netns, process.execPath, [
        '--input-type=module',
        '-e',
        MONITOR_SCRIPT,
        testkit,
        cluster.controlPlane.adminKubeconfig,
        namespace,
        selector,
      ]),
    );
    await monitor.process.waitFor(() => monitor.listed, 20_000, 'the pod monitor to list the pods');
    return monitor;
  }

  /** Starts recording extremes from the current state. */
  record(): void {
    this.extremes = { ...this.counts() };
  }

  /** The extremes since record(). */
  since(): PodExtremes {
    if (!this.extremes) throw new Error('record() was not called');
    return { ...this.extremes };
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  private counts(): { maxPods: number; minReady: number } {
    let pods = 0;
    let ready = 0;
    for (const isReady of this.pods.values()) {
      pods++;
      if (isReady) ready++;
    }
    return { maxPods: pods, minReady: ready };
  }

  private onLine(line: string): void {
    if (line === 'listed') {
      this.listed = true;
      return;
    }
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as { name: string; gone: boolean; ready: boolean };
    if (event.gone) this.pods.delete(event.name);
    else this.pods.set(event.name, event.ready);
    if (this.extremes) {
      const now = this.counts();
      this.extremes.maxPods = Math.max(this.extremes.maxPods, now.maxPods);
      this.extremes.minReady = Math.min(this.extremes.minReady, now.minReady);
    }
  }
}

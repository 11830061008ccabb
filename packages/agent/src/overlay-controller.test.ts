// OverlayController against a fake Api client (List + Watch of Nodes) and a
// recording overlay target: nothing is applied before the first complete
// list, every change reconciles the whole peer set, a compacted watch relists,
// and a failing sync is retried with back-off.
import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import { parseCidr, VTEP_ADDRESS_ANNOTATION, VTEP_MAC_ANNOTATION, type ApiClient, type Node } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { OverlayPeer, OverlayPlan } from './network/overlay-peers.js';
import { OverlayController, type OverlayTarget } from './overlay-controller.js';

const soon = (description: string) => ({ timeoutMs: 5_000, intervalMs: 5, description });
const EMPTY_PLAN: OverlayPlan = { fdbToAdd: [], neighboursToSet: [], routesToSet: [], routesToRemove: [], neighboursToRemove: [], fdbToRemove: [] };

const node = (name: string, third: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, annotations: { [VTEP_ADDRESS_ANNOTATION]: `10.77.0.${third}`, [VTEP_MAC_ANNOTATION]: `0a:5a:00:00:00:0${third}` } },
  spec: { podCIDR: `10.244.${third}.0/24` },
});

class FakeWatch extends EventEmitter {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
  }
}

/** The Api client's List and Watch, from a list of nodes and a handle on the open watch. */
class FakeApi {
  nodes: Node[] = [];
  lists = 0;
  listFailures = 0;
  watches: { stream: FakeWatch; resourceVersion: string }[] = [];
  revision = 10;
  /** While set, List calls wait (in `held`) instead of answering. */
  hold = false;
  held: (() => void)[] = [];

  release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  client(): ApiClient {
    return {
      List: (request: unknown, options: unknown, callback: (error: unknown, value?: unknown) => void) => {
        if (this.hold) {
          this.held.push(() => this.client().List(request as never, options as never, callback as never));
          return;
        }
        this.lists += 1;
        if (this.listFailures > 0) {
          this.listFailures -= 1;
          setImmediate(() => callback(Object.assign(new Error('unavailable'), { code: status.UNAVAILABLE })));
          return;
        }
        setImmediate(() => callback(null, { items_json: this.nodes.map((n) => JSON.stringify(n)), resource_version: String(this.revision) }));
      },
      Watch: (request: { resource_version: string }) => {
        const stream = new FakeWatch();
        this.watches.push({ stream, resourceVersion: request.resource_version });
        return stream;
      },
    } as unknown as ApiClient;
  }

  get open(): FakeWatch {
    const last = this.watches.at(-1);
    if (!last) throw new Error('no watch open');
    return last.stream;
  }

  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Node): void {
    this.revision += 1;
    this.open.emit('data', { type, object_json: JSON.stringify(object), resource_version: String(this.revision) });
  }
}

class RecordingTarget implements OverlayTarget {
  hostSetUps = 0;
  applied: string[][] = [];
  failuresLeft = 0;

  async ensureHost(): Promise<void> {
    this.hostSetUps += 1;
  }

  async apply(peers: readonly OverlayPeer[]): Promise<OverlayPlan> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('ip: RTNETLINK answers: No buffer space available');
    }
    this.applied.push(peers.map((p) => `${p.name} ${p.podCidr} ${p.underlayIp} ${p.mac}`));
    return EMPTY_PLAN;
  }

  get last(): string[] | undefined {
    return this.applied.at(-1);
  }
}

const controllers: OverlayController[] = [];
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
});

function start(api: FakeApi, target: RecordingTarget): OverlayController {
  const controller = new OverlayController({
    client: () => api.client(),
    overlay: target,
    local: { nodeName: 'node-1', podCidr: parseCidr('10.244.1.0/24', 'p'), clusterCidr: parseCidr('10.244.0.0/16', 'c'), underlayIp: '10.77.0.1' },
    log: pino({ level: 'silent' }),
    syncBackoff: { initialMs: 10, maxMs: 50 },
    watchBackoff: { initialMs: 5, maxMs: 20 },
  });
  controllers.push(controller);
  controller.start();
  return controller;
}

describe('OverlayController', () => {
  it('sets the host up at once, applies peers only after the first complete list, then follows the watch', async () => {
    const api = new FakeApi();
    api.nodes = [node('node-1', 1), node('node-2', 2)];
    api.listFailures = 2;
    api.hold = true;
    const target = new RecordingTarget();
    const controller = start(api, target);
    await waitFor(() => target.hostSetUps === 1 && api.held.length === 1, soon('the host set up and the first list held'));
    expect(target.applied).toEqual([]);
    expect(controller.isSynced).toBe(false);
    api.release();

    await waitFor(() => target.last !== undefined, soon('peers applied after the list'));
    expect(api.lists).toBe(3);
    expect(target.last).toEqual(['node-2 10.244.2.0/24 10.77.0.2 0a:5a:00:00:00:02']);
    expect(api.watches.map((w) => w.resourceVersion)).toEqual(['10']);

    api.event('ADDED', node('node-3', 3));
    await waitFor(() => target.last?.length === 2, soon('node-3 added'));
    api.event('DELETED', node('node-2', 2));
    await waitFor(() => target.last?.join() === 'node-3 10.244.3.0/24 10.77.0.3 0a:5a:00:00:00:03', soon('node-2 removed'));
  });

  it('resumes a broken watch from the last revision, and relists when that revision was compacted', async () => {
    const api = new FakeApi();
    api.nodes = [node('node-2', 2)];
    const target = new RecordingTarget();
    start(api, target);
    await waitFor(() => api.watches.length === 1, soon('the first watch'));
    api.event('ADDED', node('node-3', 3));
    api.open.emit('error', Object.assign(new Error('gone'), { code: status.UNAVAILABLE }));
    await waitFor(() => api.watches.length === 2, soon('the watch resumed'));
    expect(api.watches[1]?.resourceVersion).toBe('11');
    expect(api.lists).toBe(1);

    // While the watch was away node-3 was deleted and the history compacted: the relist drops it.
    api.nodes = [node('node-2', 2)];
    api.revision = 40;
    api.open.emit('error', Object.assign(new Error('compacted'), { code: status.OUT_OF_RANGE }));
    await waitFor(() => api.lists === 2 && api.watches.length === 3, soon('the relist and a new watch'));
    expect(api.watches[2]?.resourceVersion).toBe('40');
    await waitFor(() => target.last?.join() === 'node-2 10.244.2.0/24 10.77.0.2 0a:5a:00:00:00:02', soon('the relisted peers applied'));
  });

  it('retries a failed sync with back-off, setting the host up again, until it succeeds', async () => {
    const api = new FakeApi();
    api.nodes = [node('node-2', 2)];
    const target = new RecordingTarget();
    target.failuresLeft = 3;
    start(api, target);
    await waitFor(() => target.applied.length === 1, soon('a successful sync after the failures'));
    expect(target.last).toEqual(['node-2 10.244.2.0/24 10.77.0.2 0a:5a:00:00:00:02']);
    // One set-up at the start, one after each failure.
    expect(target.hostSetUps).toBe(4);
  });
});

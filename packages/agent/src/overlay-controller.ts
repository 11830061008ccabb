// Keeps this node's VXLAN overlay in step with the cluster's Nodes: lists and
// watches every Node through the Api service (the node authorizer lets a node
// read them all, as kubelet may), and reconciles the whole set of peers —
// routes, neighbours, FDB entries — whenever the picture changes, after a
// restart, and every resync interval (which also repairs what someone removed
// by hand). Level-triggered: handlers only mark the overlay dirty; one sync
// at a time reads the current picture; a failed sync is retried with back-off.
// Nothing is removed before the first complete list, so a restarting agent
// never tears down the routes its pods are using.
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { BACKOFF, Backoff, type ApiClient, type BackoffPolicy, type Node, type WatchEventMessageOutput } from '@skiff/api/core';
import type { Logger } from 'pino';
import { unary } from './grpc-call.js';
import { peersOf, type LocalVtep, type OverlayPeer, type OverlayPlan } from './network/overlay-peers.js';

/** What the controller drives: the host set-up and the peer entries (VxlanOverlay). */
export interface OverlayTarget {
  ensureHost(): Promise<void>;
  apply(peers: readonly OverlayPeer[]): Promise<OverlayPlan>;
}

export interface OverlayControllerOptions {
  /** The Api client of the moment (renewals and fail-overs replace it). */
  readonly client: () => ApiClient;
  readonly overlay: OverlayTarget;
  readonly local: LocalVtep;
  readonly log: Logger;
  /** Full re-check interval; default 30 s. */
  readonly resyncMs?: number;
  /** Default SYNC_BACKOFF. */
  readonly syncBackoff?: BackoffPolicy;
  /** Relisting and re-watching Nodes; default BACKOFF.informerRelist. */
  readonly watchBackoff?: BackoffPolicy;
}

const DEFAULT_RESYNC_MS = 30_000;
const SYNC_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 10_000, jitter: 0.25 };

export class OverlayController {
  private nodes = new Map<string, Node>();
  private listed = false;
  private revision = '';
  private stream?: ClientReadableStream<WatchEventMessageOutput>;
  private reconnectTimer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private stopped = false;
  private syncing?: Promise<void>;
  private dirty = false;
  private hostReady = false;
  private lastSkipped = '';
  private readonly watchBackoff: Backoff;
  private readonly syncBackoff: Backoff;

  constructor(private readonly options: OverlayControllerOptions) {
    this.syncBackoff = new Backoff(options.syncBackoff ?? SYNC_BACKOFF);
    this.watchBackoff = new Backoff(options.watchBackoff ?? BACKOFF.informerRelist);
  }

  start(): void {
    this.trigger();
    void this.relist();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.syncTimer);
    this.stream?.cancel();
    await this.syncing;
  }

  /** After the agent replaced its client: watch again on the new one, from where we were. */
  restart(): void {
    if (!this.stopped) this.watch();
  }

  /** Whether the first complete list of Nodes arrived (the peers are known). */
  get isSynced(): boolean {
    return this.listed;
  }

  /** Marks the overlay dirty and syncs it soon (coalesced). */
  trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    // Failing: the back-off timer runs the next sync, which sees the change.
    if (this.syncBackoff.attempts > 0) return;
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => void this.runSync(), 0);
  }

  private async runSync(): Promise<void> {
    if (this.stopped) return;
    if (this.syncing) return; // the running sync checks `dirty` when it ends
    this.dirty = false;
    this.syncing = this.sync()
      .then(
        () => {
          this.syncBackoff.reset();
          this.schedule(this.dirty ? 0 : (this.options.resyncMs ?? DEFAULT_RESYNC_MS), true);
        },
        (error: unknown) => {
          this.hostReady = false;
          const waitMs = this.syncBackoff.next();
          this.options.log.warn({ err: error, waitMs }, 'overlay sync failed; retrying');
          this.schedule(waitMs, false);
        },
      )
      .finally(() => {
        this.syncing = undefined;
      });
    await this.syncing;
  }

  private schedule(waitMs: number, resync: boolean): void {
    if (this.stopped) return;
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      // A periodic resync checks the host side again too (a device removed by hand comes back).
      if (resync && waitMs > 0) this.hostReady = false;
      void this.runSync();
    }, waitMs);
  }

  private async sync(): Promise<void> {
    if (!this.hostReady) {
      await this.options.overlay.ensureHost();
      this.hostReady = true;
    }
    if (!this.listed) return;
    const { peers, skipped } = peersOf([...this.nodes.values()], this.options.local);
    const skippedText = JSON.stringify(skipped);
    if (skippedText !== this.lastSkipped && skipped.length > 0) this.options.log.info({ skipped }, 'nodes left out of the overlay');
    this.lastSkipped = skippedText;
    const plan = await this.options.overlay.apply(peers);
    const changed = Object.values(plan).reduce((sum: number, list: readonly unknown[]) => sum + list.length, 0);
    if (changed > 0) this.options.log.info({ peers: peers.map((p) => p.name), changed }, 'overlay reconciled');
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = this.options.client();
      const response = await unary<{ items_json: string[]; resource_version: string }>((cb, callOptions) =>
        client.List({ kind: 'Node', namespace: '', all_namespaces: false, label_selector: '' }, callOptions, cb),
      );
      const nodes = new Map<string, Node>();
      for (const text of response.items_json) {
        const node = JSON.parse(text) as Node;
        nodes.set(node.metadata.name, node);
      }
      this.nodes = nodes;
      this.revision = response.resource_version;
      this.listed = true;
      this.trigger();
      this.watch();
    } catch (error) {
      const waitMs = this.watchBackoff.next();
      this.options.log.warn({ err: error, waitMs }, 'listing Nodes failed; retrying');
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(() => void this.relist(), waitMs);
    }
  }

  private watch(): void {
    clearTimeout(this.reconnectTimer);
    const previous = this.stream;
    this.stream = undefined;
    previous?.cancel();
    if (this.stopped) return;
    if (!this.listed) {
      void this.relist();
      return;
    }
    const stream = this.options.client().Watch({ kind: 'Node', namespace: '', all_namespaces: false, label_selector: '', resource_version: this.revision });
    this.stream = stream;
    let over = false;
    const reconnectOnce = (error?: ServiceError): void => {
      if (over || this.stream !== stream || this.stopped) return;
      over = true;
      const waitMs = this.watchBackoff.next();
      const relist = error?.code === status.OUT_OF_RANGE;
      if (error && error.code !== status.CANCELLED) this.options.log.warn({ code: error.code, details: error.details, waitMs }, 'Node watch lost');
      this.reconnectTimer = setTimeout(() => (relist ? void this.relist() : this.watch()), waitMs);
    };
    stream.on('data', (event: WatchEventMessageOutput) => {
      if (this.stream !== stream) return;
      this.watchBackoff.reset();
      this.revision = event.resource_version || this.revision;
      const node = JSON.parse(event.object_json) as Node;
      if (event.type === 'DELETED') this.nodes.delete(node.metadata.name);
      else this.nodes.set(node.metadata.name, node);
      this.trigger();
    });
    stream.on('error', (error: ServiceError) => reconnectOnce(error));
    stream.on('end', () => reconnectOnce());
  }
}

// The pods the control plane has bound to this node, kept current from the
// WatchAssignments stream. Reconnects resume from the last revision seen; when
// that revision is gone (OUT_OF_RANGE) the agent starts over and replaces its
// picture wholesale once the server says SYNCED, so a pod deleted while we
// were away is noticed too. When the agent replaces its client (a renewed
// certificate, a fail-over) the stream moves to the new one.
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { BACKOFF, Backoff, type AssignmentEventMessageOutput, type NodeApiClient, type Pod } from '@skiff/api/core';
import type { Logger } from 'pino';

export interface AssignmentsOptions {
  /** The client of the moment (renewals and fail-overs replace it). */
  readonly client: () => NodeApiClient;
  readonly nodeName: string;
  readonly log: Logger;
  /** Called after every change to the picture (coalesce on your side). */
  readonly onChange: () => void;
}

export class Assignments {
  private pods = new Map<string, Pod>();
  private pending?: Map<string, Pod>;
  private revision = '';
  private synced = false;
  private stream?: ClientReadableStream<AssignmentEventMessageOutput>;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly backoff = new Backoff(BACKOFF.assignmentStream);

  constructor(private readonly options: AssignmentsOptions) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.stream?.cancel();
  }

  /** Drops the current stream and resumes from the last revision seen, on the current client. */
  restart(): void {
    if (this.stopped) return;
    this.connect();
  }

  /** Whether the picture is complete: only then may the agent remove containers of pods it no longer sees. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** Desired pods by uid (a snapshot). */
  desired(): Map<string, Pod> {
    return new Map(this.pods);
  }

  private connect(): void {
    clearTimeout(this.reconnectTimer);
    const previous = this.stream;
    this.stream = undefined;
    previous?.cancel();
    if (this.stopped) return;
    if (this.revision === '') this.pending = new Map();
    const stream = this.options.client().WatchAssignments({ node_name: this.options.nodeName, resource_version: this.revision });
    this.stream = stream;
    // grpc-js emits both 'error' and 'end' for a failed stream: reconnect once
    // per stream, or every outage doubles the number of streams. A stream
    // restart() replaced is over already.
    let over = false;
    const reconnectOnce = (error?: ServiceError): void => {
      if (over || this.stream !== stream) return;
      over = true;
      this.reconnectLater(error);
    };
    stream.on('data', (event: AssignmentEventMessageOutput) => {
      if (this.stream !== stream) return;
      this.backoff.reset();
      this.apply(event);
    });
    stream.on('error', (error: ServiceError) => {
      if (this.stopped || this.stream !== stream) return;
      if (error.code === status.OUT_OF_RANGE) {
        this.options.log.info('assignment history compacted; relisting');
        this.revision = '';
      }
      reconnectOnce(error);
    });
    stream.on('end', () => reconnectOnce());
  }

  private reconnectLater(error?: ServiceError): void {
    if (this.stopped) return;
    const waitMs = this.backoff.next();
    if (error && error.code !== status.CANCELLED) this.options.log.warn({ code: error.code, details: error.details, waitMs }, 'assignment stream lost');
    this.reconnectTimer = setTimeout(() => this.connect(), waitMs).unref();
  }

  private apply(event: AssignmentEventMessageOutput): void {
    this.revision = event.resource_version;
    if (event.type === 'SYNCED') {
      if (this.pending) this.pods = this.pending;
      this.pending = undefined;
      this.synced = true;
      this.options.onChange();
      return;
    }
    const pod = JSON.parse(event.pod_json) as Pod;
    const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
    const target = this.pending ?? this.pods;
    if (event.type === 'DELETED') target.delete(uid);
    else target.set(uid, pod);
    if (!this.pending) this.options.onChange();
  }
}

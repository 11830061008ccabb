// A promise-shaped client for the Skiff API, with deadlines and errors turned
// into CliErrors. Objects arrive as JSON text and leave as ResourceObjects.
import type { Writable } from 'node:stream';
import { Channel, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  createApiClient,
  decodeExecOutput,
  execResize,
  execStart,
  execStdin,
  execStdinClose,
  type ApiClient,
  type ExecOutputMessageOutput,
  type ExecStartRequest,
  type ResourceObject,
  type TerminalDimensions,
  type WatchEventMessageOutput,
} from '@skiff/api';
import type { Connection } from './connection/connection.js';
import { FailoverClients, type CallSafety } from './connection/failover.js';
import { explainServiceError, isServiceError } from './errors.js';

const CALL_TIMEOUT_MS = 30_000;

export interface ApplyAnswer {
  readonly outcome: string;
  readonly object: ResourceObject;
  readonly warnings: readonly string[];
}

export interface Ref {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface AccessQuery {
  readonly verb: string;
  /** Plural, with the group of a grouped kind and any subresource: "pods/log", "deployments.apps/scale". */
  readonly resource: string;
  /** "" for every namespace, or for a cluster-scoped resource. */
  readonly namespace: string;
  readonly name: string;
  readonly asUser: string;
  readonly asGroups: readonly string[];
}

export interface TokenAnswer {
  readonly token: string;
  readonly expirationTimestamp: string;
}

export interface ListQuery {
  readonly kind: string;
  readonly namespace: string;
  readonly allNamespaces: boolean;
  readonly labelSelector: string;
  /** "" (default) a consistent list; "0" whatever the server's watch cache holds; "N" at least revision N. */
  readonly resourceVersion?: string;
  /** At most this many objects; the answer's `continue` then names the next page. */
  readonly limit?: number;
  /** The `continue` of the previous page: the next one, at that page's revision. */
  readonly continue?: string;
}

type Callback<T> = (error: ServiceError | null, value?: T) => void;

/** A command running in a container (ctl exec): what may still be sent to it, and how it ends. */
export interface ExecCall {
  /** False: the call's buffer is full; wait for onDrain before sending more. */
  stdin(data: Buffer): boolean;
  onDrain(listener: () => void): void;
  closeStdin(): void;
  resize(size: TerminalDimensions): void;
  /** Leaves: the agent hangs the command up. */
  cancel(): void;
  /** The command's exit code (0 or not); a ServerError if it could not run. */
  readonly exited: Promise<number>;
}

export class SkiffClient {
  private readonly servers: FailoverClients;
  readonly connection: Connection;

  /** `connection` from resolveConnection(), or connect() with ctl's flags. */
  constructor(connection: Connection) {
    this.connection = connection;
    // createApiClient sets the message limits and reconnect and keepalive
    // timings; the channel it builds gets the connection's credentials.
    const create = (target: string): ApiClient =>
      createApiClient(target, {
        ...connection.options,
        channelFactoryOverride: (channelTarget, _insecure, options) => new Channel(channelTarget, connection.credentials, options),
      });
    this.servers = new FailoverClients(connection.targets ?? [connection.target], create);
  }

  /** The client streams use: the server that answered last. */
  private get client(): ApiClient {
    return this.servers.client;
  }

  close(): void {
    this.servers.close();
  }

  async apply(manifest: ResourceObject, options: { strict: boolean; dryRun: boolean }): Promise<ApplyAnswer> {
    const response = await this.call<{ outcome: string; object_json: string; warnings: string[] }>('write', (client, cb, deadline) =>
      client.Apply({ manifest_json: JSON.stringify(manifest), strict: options.strict, dry_run: options.dryRun }, { deadline }, cb),
    );
    return { outcome: response.outcome, object: parse(response.object_json), warnings: response.warnings };
  }

  async get(ref: Ref): Promise<ResourceObject> {
    const response = await this.call<{ object_json: string }>('read', (client, cb, deadline) => client.Get({ ref }, { deadline }, cb));
    return parse(response.object_json);
  }

  /** A list, or with `limit` one page of it and the `continue` token of the next (when more may follow). */
  async list(query: ListQuery): Promise<{ items: ResourceObject[]; resourceVersion: string; continue?: string }> {
    const response = await this.call<{ items_json: string[]; resource_version: string; continue_token: string }>('read', (client, cb, deadline) =>
      client.List(
        {
          kind: query.kind,
          namespace: query.namespace,
          all_namespaces: query.allNamespaces,
          label_selector: query.labelSelector,
          ...(query.resourceVersion === undefined ? {} : { resource_version: query.resourceVersion }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.continue === undefined ? {} : { continue_token: query.continue }),
        },
        { deadline },
        cb,
      ),
    );
    const items = response.items_json.map(parse);
    return { items, resourceVersion: response.resource_version, ...(response.continue_token ? { continue: response.continue_token } : {}) };
  }

  /**
   * `gracePeriodSeconds` (pods): between SIGTERM and SIGKILL; absent: the pod's own; 0: removed at once.
   * `propagationPolicy`: Background, Foreground or Orphan (absent: the kind's default on the server).
   */
  async delete(ref: Ref, options: { readonly gracePeriodSeconds?: number; readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<ResourceObject> {
    const request = {
      ref,
      ...(options.gracePeriodSeconds !== undefined ? { grace_period_seconds: options.gracePeriodSeconds } : {}),
      ...(options.propagationPolicy !== undefined ? { propagation_policy: options.propagationPolicy } : {}),
    };
    const response = await this.call<{ object_json: string }>('write', (client, cb, deadline) => client.Delete(request, { deadline }, cb));
    return parse(response.object_json);
  }

  async scale(ref: Ref, replicas: number): Promise<ResourceObject> {
    const response = await this.call<{ object_json: string }>('write', (client, cb, deadline) =>
      client.Scale({ ref, replicas }, { deadline }, cb),
    );
    return parse(response.object_json);
  }

  async cordon(node: string, unschedulable: boolean): Promise<ResourceObject> {
    const response = await this.call<{ node_json: string }>('write', (client, cb, deadline) =>
      client.Cordon({ node_name: node, unschedulable }, { deadline }, cb),
    );
    return parse(response.node_json);
  }

  async canI(query: AccessQuery): Promise<{ allowed: boolean; reason: string }> {
    const request = {
      verb: query.verb,
      resource: query.resource,
      namespace: query.namespace,
      name: query.name,
      as_user: query.asUser,
      as_groups: [...query.asGroups],
    };
    return this.call<{ allowed: boolean; reason: string }>('read', (client, cb, deadline) => client.CanI(request, { deadline }, cb));
  }

  async createToken(namespace: string, serviceAccount: string, expirationSeconds: number, audiences: readonly string[] = []): Promise<TokenAnswer> {
    const request = { namespace, service_account: serviceAccount, expiration_seconds: expirationSeconds, audiences: [...audiences] };
    const response = await this.call<{ token: string; expiration_timestamp: string }>('write', (client, cb, deadline) =>
      client.CreateToken(request, { deadline }, cb),
    );
    return { token: response.token, expirationTimestamp: response.expiration_timestamp };
  }

  /** Streams a container's output into `write` until it ends (or, following, until the container stops). */
  logs(
    request: {
      namespace: string;
      pod: string;
      container: string;
      follow: boolean;
      tailLines: number;
      timestamps?: boolean;
      sinceSeconds?: number;
      previous?: boolean;
    },
    write: (data: Buffer) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.client.Logs({
        namespace: request.namespace,
        pod: request.pod,
        container: request.container,
        follow: request.follow,
        tail_lines: request.tailLines,
        timestamps: request.timestamps ?? false,
        since_seconds: request.sinceSeconds ?? 0,
        previous: request.previous ?? false,
      });
      stream.on('data', (chunk: { data: Buffer }) => write(chunk.data));
      stream.on('error', (error: ServiceError) => reject(explainServiceError(error, this.connection)));
      stream.on('end', () => resolve());
    });
  }

  /**
   * Runs a command in a container; its output goes to `output` as it comes
   * (none is read while a stream cannot take more). No deadline: it runs as
   * long as the command does.
   */
  exec(start: ExecStartRequest, output: { readonly stdout: Writable; readonly stderr: Writable }): ExecCall {
    const call = this.client.Exec();
    let ended = false;
    const send = (message: Parameters<typeof call.write>[0]): boolean => (ended ? true : call.write(message));
    const exited = new Promise<number>((resolve, reject) => {
      let code: number | undefined;
      call.on('data', (message: ExecOutputMessageOutput) => {
        const frame = decodeExecOutput(message);
        if (frame.kind === 'exit') {
          code = frame.code;
        } else if (!output[frame.kind].write(frame.data)) {
          call.pause();
          output[frame.kind].once('drain', () => call.resume());
        }
      });
      call.on('error', (error: ServiceError) => {
        ended = true;
        reject(explainServiceError(error, this.connection));
      });
      call.on('end', () => {
        ended = true;
        if (code === undefined) reject(new Error('the exec stream ended without the exit code of the command'));
        else resolve(code);
      });
    });
    call.write(execStart(start));
    return {
      stdin: (data) => send(execStdin(data)),
      onDrain: (listener) => void call.once('drain', listener),
      closeStdin: () => void send(execStdinClose()),
      resize: (size) => void send(execResize(size)),
      cancel: () => call.cancel(),
      exited,
    };
  }

  /** Streams changes after `resourceVersion`; the stream's errors are raw ServiceErrors. */
  watch(query: ListQuery, resourceVersion: string): ClientReadableStream<WatchEventMessageOutput> {
    return this.client.Watch({
      kind: query.kind,
      namespace: query.namespace,
      all_namespaces: query.allNamespaces,
      label_selector: query.labelSelector,
      resource_version: resourceVersion,
    });
  }

  explain(error: unknown): unknown {
    return isServiceError(error) ? explainServiceError(error, this.connection) : error;
  }

  /** One unary call, on the next server when `safety` allows (see failover.ts); errors explained. */
  private async call<T>(safety: CallSafety, invoke: (client: ApiClient, callback: Callback<T>, deadline: Date) => void): Promise<T> {
    try {
      return await this.servers.run(safety, (client) =>
        new Promise<T>((resolve, reject) => {
          invoke(client, (error, value) => (error ? reject(error) : resolve(value as T)), new Date(Date.now() + CALL_TIMEOUT_MS));
        }),
      );
    } catch (error) {
      throw isServiceError(error) ? explainServiceError(error, this.connection) : error;
    }
  }
}

function parse(json: string): ResourceObject {
  return JSON.parse(json) as ResourceObject;
}

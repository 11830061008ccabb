// Where ctl connects and as whom: the kubeconfig context (--context, else its
// current-context), its server unless --server overrides it, over TLS with the
// context's credentials. There is no other way: the control plane serves TLS only.
// An HA cluster has several servers (--server a,b,c, or the cluster's
// skiff.dev/servers extension): the client fails over between them.
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { clusterServers, parseServerUrl, selectContext, type SelectedContext, type ServerAddress } from '@skiff/api';
import { asCliError, requireConfig, type KubeconfigFile } from '../kubeconfig/kubeconfig-file.js';
import { tlsChannel } from './tls-credentials.js';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  server?: string;
}

export interface Connection {
  /** HOST:PORT, as gRPC dials it: the first of `targets`. */
  readonly target: string;
  /** Every server to try, in order (one unless the cluster has several control planes). */
  readonly targets: readonly string[];
  readonly credentials: ChannelCredentials;
  readonly options: ChannelOptions;
  /** Names the server and where it came from, for "cannot reach" messages. */
  readonly where: string;
}

export function resolveConnection(flags: ConnectionFlags, file: KubeconfigFile): Connection {
  const selected = selectedContext(flags, file);
  const servers = flags.server ? serverFlag(flags.server) : contextServers(selected, file);
  const channel = tlsChannel(selected, file);
  const via = `${flags.server ? '--server, ' : ''}context "${selected.name}" of ${file.display}`;
  const targets = servers.map((server) => server.target);
  const named = targets.length === 1 ? targets[0] : `any of ${targets.join(', ')}`;
  return { target: targets[0]!, targets, ...channel, where: `${named} (${via})` };
}

/** The kubeconfig context the flags choose: --context, else the current one. */
export function selectedContext(flags: ConnectionFlags, file: KubeconfigFile): SelectedContext {
  try {
    return selectContext(requireConfig(file), file.display, flags.context);
  } catch (error) {
    throw asCliError(error);
  }
}

/** -n's default: the context's namespace, else "default". */
export function defaultNamespace(flags: ConnectionFlags, file: KubeconfigFile): string {
  return selectedContext(flags, file).context.namespace || 'default';
}

function contextServers(selected: SelectedContext, file: KubeconfigFile): ServerAddress[] {
  const what = `${file.display}: context "${selected.name}": cluster "${selected.context.cluster}": server`;
  return clusterServers(selected.cluster).map((server) => parsed(() => parseServerUrl(server, what)));
}

/** --server takes https://HOST:PORT as a kubeconfig does, or plain HOST:PORT; several comma-separated. */
function serverFlag(text: string): ServerAddress[] {
  const servers = text.split(',').map((part) => part.trim()).filter(Boolean);
  if (servers.length === 0) return [parsed(() => parseServerUrl(text, '--server'))];
  return servers.map((server) => parsed(() => parseServerUrl(server.includes('://') ? server : `https://${server}`, '--server')));
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw asCliError(error);
  }
}

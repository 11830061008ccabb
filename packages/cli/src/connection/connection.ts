// Where ctl connects and as whom: the kubeconfig context (--context, else its
// current-context), its server unless --server overrides it, over TLS with the
// context's credentials. There is no other way: the control plane serves TLS only.
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { parseServerUrl, selectContext, type SelectedContext, type ServerAddress } from '@skiff/api';
import { asCliError, requireConfig, type KubeconfigFile } from '../kubeconfig/kubeconfig-file.js';
import { tlsChannel } from './tls-credentials.js';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  server?: string;
}

export interface Connection {
  /** HOST:PORT, as gRPC dials it. */
  readonly target: string;
  readonly credentials: ChannelCredentials;
  readonly options: ChannelOptions;
  /** Names the server and where it came from, for "cannot reach" messages. */
  readonly where: string;
}

export function resolveConnection(flags: ConnectionFlags, file: KubeconfigFile): Connection {
  const selected = selectedContext(flags, file);
  const server = flags.server ? serverFlag(flags.server) : contextServer(selected, file);
  const channel = tlsChannel(selected, file);
  const via = `${flags.server ? '--server, ' : ''}context "${selected.name}" of ${file.display}`;
  return { target: server.target, ...channel, where: `${server.target} (${via})` };
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

function contextServer(selected: SelectedContext, file: KubeconfigFile): ServerAddress {
  const what = `${file.display}: context "${selected.name}": cluster "${selected.context.cluster}": server`;
  return parsed(() => parseServerUrl(selected.cluster.server, what));
}

/** --server takes https://HOST:PORT as a kubeconfig does, or plain HOST:PORT. */
function serverFlag(text: string): ServerAddress {
  return parsed(() => parseServerUrl(text.includes('://') ? text : `https://${text}`, '--server'));
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw asCliError(error);
  }
}

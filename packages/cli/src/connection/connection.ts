// Where ctl connects and as whom: the kubeconfig context (--context, else its
// current-context), its server unless --server overrides it, over TLS with the
// context's credentials. --insecure-dev-plaintext is the development escape
// hatch: plaintext gRPC, no credentials, loopback addresses only.
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { parseServerUrl, selectContext, type SelectedContext, type ServerAddress } from '@skiff/api';
import { CliError } from '../errors.js';
import { asCliError, requireConfig, type KubeconfigFile } from '../kubeconfig/kubeconfig-file.js';
import { isLoopbackHost } from './loopback.js';
import { tlsChannel } from './tls-credentials.js';

/** The control plane's default listen address, used by --insecure-dev-plaintext without a server. */
export const DEV_PLAINTEXT_SERVER = '127.0.0.1:7400';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  server?: string;
  insecureDevPlaintext?: boolean;
}

export interface Connection {
  /** HOST:PORT, as gRPC dials it. */
  readonly target: string;
  readonly credentials: ChannelCredentials;
  readonly options: ChannelOptions;
  /** Names the server and where it came from, for "cannot reach" messages. */
  readonly where: string;
  readonly plaintext: boolean;
}

export function resolveConnection(flags: ConnectionFlags, file: KubeconfigFile): Connection {
  return flags.insecureDevPlaintext ? plaintextFromFlags(flags, file) : tlsConnection(flags, file);
}

/** The kubeconfig context the flags choose: --context, else the current one. */
export function selectedContext(flags: ConnectionFlags, file: KubeconfigFile): SelectedContext {
  try {
    return selectContext(requireConfig(file), file.display, flags.context);
  } catch (error) {
    throw asCliError(error);
  }
}

/** -n's default: the context's namespace, else "default" (also when plaintext runs without a context). */
export function defaultNamespace(flags: ConnectionFlags, file: KubeconfigFile): string {
  const selected = flags.insecureDevPlaintext ? optionalContext(flags, file) : selectedContext(flags, file);
  return selected?.context.namespace || 'default';
}

/** Plaintext needs no kubeconfig: it uses a context when --context names one or the file has a current one. */
function optionalContext(flags: ConnectionFlags, file: KubeconfigFile): SelectedContext | undefined {
  return flags.context || file.config?.['current-context'] ? selectedContext(flags, file) : undefined;
}

function tlsConnection(flags: ConnectionFlags, file: KubeconfigFile): Connection {
  const selected = selectedContext(flags, file);
  const server = flags.server ? serverFlag(flags.server) : contextServer(selected, file);
  const channel = tlsChannel(selected, file);
  const via = `${flags.server ? '--server, ' : ''}context "${selected.name}" of ${file.display}`;
  return { target: server.target, ...channel, where: `${server.target} (${via})`, plaintext: false };
}

function plaintextFromFlags(flags: ConnectionFlags, file: KubeconfigFile): Connection {
  const selected = optionalContext(flags, file);
  return plaintextConnection(flags.server ?? (selected ? contextServer(selected, file).target : DEV_PLAINTEXT_SERVER));
}

/** Plaintext gRPC, no credentials, to a loopback HOST:PORT (or https://HOST:PORT). */
export function plaintextConnection(address: string): Connection {
  const server = serverFlag(address);
  if (!isLoopbackHost(server.host)) {
    throw new CliError(
      `error: --insecure-dev-plaintext talks only to a loopback address (127.0.0.1, ::1, localhost), not ${server.target}; ` +
        `drop the flag to connect over TLS with your kubeconfig`,
    );
  }
  return { target: server.target, credentials: credentials.createInsecure(), options: {}, where: `${server.target} (plaintext)`, plaintext: true };
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

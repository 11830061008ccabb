// The TLS side of a kubeconfig context: the cluster's CA is the only root ctl
// trusts; the user proves who it is with a client certificate, or with a
// bearer token sent as `authorization: Bearer <token>` on every call.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { credentials, Metadata, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { messageOf, type SelectedContext } from '@skiff/api';
import { CliError } from '../errors.js';

export interface TlsChannel {
  readonly credentials: ChannelCredentials;
  readonly options: ChannelOptions;
}

export interface ContextSource {
  /** How messages name the kubeconfig. */
  readonly display: string;
  /** Where relative file paths in it point from. */
  readonly dir: string;
}

export function tlsChannel(selected: SelectedContext, source: ContextSource): TlsChannel {
  const { cluster, user } = selected;
  const clusterName = `context "${selected.name}": cluster "${selected.context.cluster}"`;
  const userName = `context "${selected.name}": user "${selected.context.user}"`;
  const ca = pem(source, `${clusterName}: certificate-authority`, CERTIFICATE, cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (!ca) {
    throw new CliError(
      `error: ${source.display}: ${clusterName} has neither certificate-authority-data nor certificate-authority; ` +
        "ctl trusts only the cluster's CA: copy certificate-authority-data from the admin.kubeconfig the control plane wrote",
    );
  }
  const cert = pem(source, `${userName}: client-certificate`, CERTIFICATE, user['client-certificate-data'], user['client-certificate']);
  const key = pem(source, `${userName}: client-key`, PRIVATE_KEY, user['client-key-data'], user['client-key']);
  if (Boolean(cert) !== Boolean(key)) {
    throw new CliError(`error: ${source.display}: ${userName} has a client ${cert ? 'certificate but no key' : 'key but no certificate'}; give both`);
  }
  if (!cert && !user.token) {
    throw new CliError(
      `error: ${source.display}: ${userName} has no credentials; give it client-certificate-data and client-key-data ` +
        `(a certificate signed by the cluster CA) or a token (from "ctl create token SERVICEACCOUNT")`,
    );
  }
  let channel: ChannelCredentials;
  try {
    channel = credentials.createSsl(ca, key ?? null, cert ?? null);
  } catch (error) {
    throw new CliError(`error: ${source.display}: context "${selected.name}": unusable TLS credentials (${messageOf(error)})`);
  }
  const token = user.token;
  if (token) channel = credentials.combineChannelCredentials(channel, bearer(token));
  const name = cluster['tls-server-name'];
  return { credentials: channel, options: name ? { 'grpc.ssl_target_name_override': name } : {} };
}

function bearer(token: string) {
  return credentials.createFromMetadataGenerator((_params, callback) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    callback(null, metadata);
  });
}

const CERTIFICATE = { label: 'a PEM certificate', marker: /-----BEGIN CERTIFICATE-----/ };
const PRIVATE_KEY = { label: 'a PEM private key', marker: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/ };

/**
 * `field`'s bytes: `<field>-data` (base64) or the file `<field>` names
 * (relative to the kubeconfig), checked to hold PEM of the right kind.
 * `field` is the path in messages: `context "c": cluster "k": certificate-authority`.
 */
function pem(source: ContextSource, field: string, kind: typeof CERTIFICATE, data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return checked(Buffer.from(data, 'base64'), kind, `${source.display}: ${field}-data`);
  if (!file) return undefined;
  const path = isAbsolute(file) ? file : join(source.dir, file);
  try {
    return checked(readFileSync(path), kind, `${source.display}: ${field}: ${path}`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`error: ${source.display}: ${field}: cannot read ${path} (${messageOf(error)})`);
  }
}

function checked(bytes: Buffer, kind: typeof CERTIFICATE, what: string): Buffer {
  if (!kind.marker.test(bytes.toString('latin1'))) throw new CliError(`error: ${what} does not hold ${kind.label}`);
  return bytes;
}

// Kubernetes' v1 kubeconfig (`apiVersion: v1, kind: Config`): the file the
// control plane writes for its admin and that ctl (and later kubectl) reads.
// Only the fields Skiff uses are kept: a cluster's server, CA and TLS server
// name; a user's client certificate and key or bearer token; a context's
// cluster, user and namespace. Data fields hold base64 of PEM text, as in
// Kubernetes. A cluster's `server` is `https://HOST:PORT`, the control plane's
// gRPC address (gRPC over TLS).
import { isMap, LineCounter, parseDocument, stringify } from 'yaml';
import { InvalidError, NotFoundError } from './errors.js';
import { isRecord, type JsonRecord } from './json-guards.js';

export interface KubeconfigCluster {
  readonly server: string;
  readonly 'certificate-authority-data'?: string;
  /** A PEM file; a relative path is relative to the kubeconfig's directory. */
  readonly 'certificate-authority'?: string;
  /** The name the server's certificate must carry, when it differs from the server's host. */
  readonly 'tls-server-name'?: string;
  /**
   * Kubernetes' named extensions, kept as read. Skiff's own is
   * SERVERS_EXTENSION: the gRPC address of every control plane (`servers`, a
   * list of https://HOST:PORT), which ctl dials; kubectl ignores it and uses
   * `server`, then the Kubernetes REST address.
   */
  readonly extensions?: readonly KubeconfigExtension[];
}

export interface KubeconfigExtension {
  readonly name: string;
  readonly extension: unknown;
}

/** The cluster extension that lists several control planes: `{ name: skiff.dev/servers, extension: { servers: [...] } }`. */
export const SERVERS_EXTENSION = 'skiff.dev/servers';

/**
 * The gRPC servers ctl dials: those SERVERS_EXTENSION lists (each once), or
 * `server` in a kubeconfig without the extension (one written before the REST
 * API, or by hand), where `server` is the gRPC address itself.
 */
export function clusterServers(cluster: KubeconfigCluster): string[] {
  const extension = cluster.extensions?.find((e) => e.name === SERVERS_EXTENSION)?.extension;
  const listed = isRecord(extension) && Array.isArray(extension['servers']) ? extension['servers'].filter((s): s is string => typeof s === 'string') : [];
  return listed.length > 0 ? [...new Set(listed)] : [cluster.server];
}

export interface KubeconfigUser {
  readonly 'client-certificate-data'?: string;
  readonly 'client-key-data'?: string;
  readonly 'client-certificate'?: string;
  readonly 'client-key'?: string;
  readonly token?: string;
}

export interface KubeconfigContext {
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}

export interface NamedCluster {
  readonly name: string;
  readonly cluster: KubeconfigCluster;
}

export interface NamedUser {
  readonly name: string;
  readonly user: KubeconfigUser;
}

export interface NamedContext {
  readonly name: string;
  readonly context: KubeconfigContext;
}

export interface Kubeconfig {
  readonly apiVersion: 'v1';
  readonly kind: 'Config';
  readonly clusters: readonly NamedCluster[];
  readonly users: readonly NamedUser[];
  readonly contexts: readonly NamedContext[];
  /** "" when none is chosen. */
  readonly 'current-context': string;
  readonly preferences: JsonRecord;
}

/** The fields of a cluster and a user that hold base64 data. */
export const KUBECONFIG_DATA_FIELDS = ['certificate-authority-data', 'client-certificate-data', 'client-key-data'] as const;

const CLUSTER_FIELDS = ['server', 'certificate-authority-data', 'certificate-authority', 'tls-server-name'] as const;
const USER_FIELDS = ['client-certificate-data', 'client-key-data', 'client-certificate', 'client-key', 'token'] as const;
const CONTEXT_FIELDS = ['cluster', 'user', 'namespace'] as const;
const REQUIRED = new Set<string>(['server', 'cluster', 'user']);
const DATA = new Set<string>(KUBECONFIG_DATA_FIELDS);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function emptyKubeconfig(): Kubeconfig {
  return { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], 'current-context': '', preferences: {} };
}

/**
 * Parses kubeconfig YAML. `source` names the file in every error
 * (`~/.skiff/config: users[0].user.client-key-data: not base64`); all
 * problems are reported at once, one per line. Fields Skiff does not use are
 * ignored, as kubectl ignores what it does not know. An empty file is an
 * empty Config.
 */
export function parseKubeconfig(yamlText: string, source: string): Kubeconfig {
  // Not yaml's pretty errors: they quote the offending line, which may hold a key or token.
  const lines = new LineCounter();
  const document = parseDocument(yamlText, { prettyErrors: false, lineCounter: lines });
  const [syntax] = document.errors;
  if (syntax) {
    const at = lines.linePos(syntax.pos[0]);
    throw new InvalidError(`${source}: not valid YAML (line ${at.line}, column ${at.col}): ${syntax.message}`);
  }
  const root: unknown = document.toJS();
  if (root === null || root === undefined) return emptyKubeconfig();
  if (!isRecord(root)) throw new InvalidError(`${source}: must be a kubeconfig (a mapping with apiVersion: v1 and kind: Config)`);
  const issues: string[] = [];
  if (root['apiVersion'] !== undefined && root['apiVersion'] !== 'v1') issues.push(`apiVersion: must be v1, not ${JSON.stringify(root['apiVersion'])}`);
  if (root['kind'] !== undefined && root['kind'] !== 'Config') issues.push(`kind: must be Config, not ${JSON.stringify(root['kind'])}`);
  const config: Kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: namedList(root, 'clusters', 'cluster', CLUSTER_FIELDS, issues) as unknown as NamedCluster[],
    users: namedList(root, 'users', 'user', USER_FIELDS, issues) as unknown as NamedUser[],
    contexts: namedList(root, 'contexts', 'context', CONTEXT_FIELDS, issues) as unknown as NamedContext[],
    'current-context': optionalString(root, 'current-context', 'current-context', issues) ?? '',
    preferences: isRecord(root['preferences']) ? root['preferences'] : {},
  };
  if (issues.length > 0) throw new InvalidError(issues.map((issue) => `${source}: ${issue}`).join('\n'), issues);
  return config;
}

function namedList(
  root: JsonRecord,
  listKey: string,
  itemKey: string,
  fields: readonly string[],
  issues: string[],
): { name: string; [key: string]: unknown }[] {
  const value = root[listKey];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    issues.push(`${listKey}: must be a list of {name, ${itemKey}}`);
    return [];
  }
  const out: { name: string; [key: string]: unknown }[] = [];
  const seen = new Map<string, number>();
  value.forEach((entry: unknown, index) => {
    const at = `${listKey}[${index}]`;
    if (!isRecord(entry)) {
      issues.push(`${at}: must be a mapping with name and ${itemKey}`);
      return;
    }
    const name = entry['name'];
    if (typeof name !== 'string' || name === '') {
      issues.push(`${at}.name: ${name === undefined ? 'is required' : 'must be a non-empty string'}`);
      return;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) issues.push(`${at}.name: "${name}" is already the name of ${listKey}[${earlier}]`);
    seen.set(name, index);
    const body = entry[itemKey];
    if (!isRecord(body)) {
      issues.push(`${at}.${itemKey}: ${body === undefined ? 'is required' : 'must be a mapping'}`);
      return;
    }
    const fieldsOut: Record<string, string> = {};
    for (const field of fields) {
      const path = `${at}.${itemKey}.${field}`;
      const text = REQUIRED.has(field) ? requiredString(body, field, path, issues) : optionalString(body, field, path, issues);
      if (text === undefined) continue;
      if (DATA.has(field) && !BASE64.test(text.replace(/[\r\n]/g, ''))) issues.push(`${path}: not base64`);
      fieldsOut[field] = text;
    }
    const extensions = itemKey === 'cluster' ? namedExtensions(body, `${at}.${itemKey}.extensions`, issues) : undefined;
    out.push({ name, [itemKey]: extensions ? { ...fieldsOut, extensions } : fieldsOut });
  });
  return out;
}

function namedExtensions(body: JsonRecord, path: string, issues: string[]): KubeconfigExtension[] | undefined {
  const value = body['extensions'];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((e: unknown) => isRecord(e) && typeof e['name'] === 'string')) {
    issues.push(`${path}: must be a list of {name, extension}`);
    return undefined;
  }
  const extensions = (value as JsonRecord[]).map((e) => ({ name: e['name'] as string, extension: e['extension'] ?? null }));
  const servers = extensions.find((e) => e.name === SERVERS_EXTENSION)?.extension;
  if (!isRecord(servers) || !Array.isArray(servers['servers']) || !servers['servers'].every((s: unknown) => typeof s === 'string')) {
    if (extensions.some((e) => e.name === SERVERS_EXTENSION)) issues.push(`${path}: ${SERVERS_EXTENSION} must be {servers: [https://HOST:PORT, …]}`);
  }
  return extensions;
}

function optionalString(record: JsonRecord, key: string, path: string, issues: string[]): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    // The type, never the value: it may be a token or a key.
    issues.push(`${path}: must be a string, not ${Array.isArray(value) ? 'a list' : isRecord(value) ? 'a mapping' : `a ${typeof value}`}`);
    return undefined;
  }
  return value;
}

function requiredString(record: JsonRecord, key: string, path: string, issues: string[]): string | undefined {
  const value = record[key];
  if (value === undefined || value === null || value === '') {
    issues.push(`${path}: is required`);
    return undefined;
  }
  return optionalString(record, key, path, issues);
}

/** The YAML kubectl itself writes: keys sorted, lists in the order given. */
export function serializeKubeconfig(config: Kubeconfig): string {
  return stringify(config, { sortMapEntries: true, lineWidth: 0, indentSeq: false });
}

/**
 * The same YAML with `current-context` set, keeping the rest: comments, key
 * order, and fields Skiff does not read (lists are re-indented as kubectl
 * writes them).
 */
export function withCurrentContext(yamlText: string, name: string, source: string): string {
  const document = parseDocument(yamlText);
  if (document.contents === null) return serializeKubeconfig({ ...emptyKubeconfig(), 'current-context': name });
  if (document.errors.length > 0 || !isMap(document.contents)) throw new InvalidError(`${source}: must be a kubeconfig (a mapping with apiVersion: v1 and kind: Config)`);
  document.set('current-context', name);
  return document.toString({ lineWidth: 0, indentSeq: false });
}

/** `https://HOST:PORT` split into its parts; `target` is what gRPC dials (`HOST:PORT`, IPv6 in brackets). */
export interface ServerAddress {
  /** As written in a URL: IPv6 addresses keep their brackets. */
  readonly host: string;
  readonly port: number;
  readonly target: string;
}

/** Parses a kubeconfig `server`; `what` starts the error ("~/.skiff/config: clusters[0].cluster.server"). */
export function parseServerUrl(text: string, what: string): ServerAddress {
  const example = 'https://HOST:PORT, e.g. https://10.0.0.5:7400 (gRPC over TLS)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidError(`${what}: "${text}" is not a URL; it must be ${example}`);
  }
  if (url.protocol !== 'https:') throw new InvalidError(`${what}: "${text}" must use https (${example})`);
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '' && url.pathname !== '/')) {
    throw new InvalidError(`${what}: "${text}" must be just ${example}, without a path, query or user`);
  }
  // URL drops https' default port; Skiff's gRPC port must be written out.
  const port = url.port !== '' ? Number(url.port) : /:443\/?$/.test(text) ? 443 : undefined;
  if (port === undefined) throw new InvalidError(`${what}: "${text}" has no port; it must be ${example}`);
  return { host: url.hostname, port, target: `${url.hostname}:${port}` };
}

export interface AdminKubeconfigOptions {
  /** `https://HOST:PORT` of the control plane's gRPC address. */
  readonly server: string;
  /** Every control plane of an HA cluster (`server` among them), written as SERVERS_EXTENSION. */
  readonly servers?: readonly string[];
  /**
   * `https://HOST:PORT` of the Kubernetes REST API: when given, it is the
   * cluster's `server` (for kubectl), and the gRPC servers go to SERVERS_EXTENSION (for ctl).
   */
  readonly restServer?: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The one cluster, user and context are all named this; default `skiff`. */
  readonly name?: string;
}

/** A kubeconfig with one cluster, user and context, the context current. */
export function adminKubeconfig(options: AdminKubeconfigOptions): Kubeconfig {
  const name = options.name ?? 'skiff';
  parseServerUrl(options.server, 'the admin kubeconfig server');
  for (const server of options.servers ?? []) parseServerUrl(server, 'the admin kubeconfig servers');
  const base64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
  if (options.restServer !== undefined) parseServerUrl(options.restServer, 'the admin kubeconfig REST server');
  const servers = [...new Set([options.server, ...(options.servers ?? [])])];
  const extensions =
    servers.length > 1 || options.restServer !== undefined ? { extensions: [{ name: SERVERS_EXTENSION, extension: { servers } }] } : {};
  const server = options.restServer ?? options.server;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': base64(options.caPem), ...extensions } }],
    users: [{ name, user: { 'client-certificate-data': base64(options.certPem), 'client-key-data': base64(options.keyPem) } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    preferences: {},
  };
}

export interface SelectedContext {
  readonly name: string;
  readonly context: KubeconfigContext;
  readonly cluster: KubeconfigCluster;
  readonly user: KubeconfigUser;
}

/**
 * The context `name` (else the current one) with the cluster and user it
 * names. Throws NotFoundError for a context that is not there and
 * InvalidError when none is chosen or one it names is missing, each naming
 * `source` and how to fix it.
 */
export function selectContext(config: Kubeconfig, source: string, name?: string): SelectedContext {
  const known = config.contexts.length > 0 ? `its contexts: ${config.contexts.map((c) => c.name).join(', ')}` : 'it has no contexts';
  const wanted = name ?? config['current-context'];
  if (wanted === '') {
    throw new InvalidError(`${source}: current-context is not set; choose one with --context NAME or "ctl config use-context NAME" (${known})`);
  }
  const found = config.contexts.find((c) => c.name === wanted);
  if (!found) throw new NotFoundError(`${source}: no context named "${wanted}" (${known})`);
  const cluster = config.clusters.find((c) => c.name === found.context.cluster);
  if (!cluster) throw new InvalidError(`${source}: context "${wanted}" names cluster "${found.context.cluster}", which is not in clusters`);
  const user = config.users.find((u) => u.name === found.context.user);
  if (!user) throw new InvalidError(`${source}: context "${wanted}" names user "${found.context.user}", which is not in users`);
  return { name: wanted, context: found.context, cluster: cluster.cluster, user: user.user };
}

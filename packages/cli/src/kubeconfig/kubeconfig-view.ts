// `ctl config view` output, as kubectl prints it: entries sorted by name,
// certificate and key data shown as DATA+OMITTED and tokens as REDACTED unless
// raw, YAML with sorted keys or JSON in kubectl's field order.
import { selectContext, serializeKubeconfig, type Kubeconfig, type KubeconfigCluster, type KubeconfigUser } from '@skiff/api';
import { asCliError } from './kubeconfig-file.js';

export const DATA_OMITTED = 'DATA+OMITTED';
export const REDACTED = 'REDACTED';

export interface ViewOptions {
  readonly raw: boolean;
  /** Keep only what this context uses (kubectl's --minify); it becomes current-context. */
  readonly minifyTo?: string | undefined;
}

export function viewKubeconfig(config: Kubeconfig, source: string, options: ViewOptions): Kubeconfig {
  const shown = options.minifyTo === undefined ? config : minify(config, source, options.minifyTo);
  const byName = <T extends { name: string }>(list: readonly T[]): T[] => [...list].sort((a, b) => a.name.localeCompare(b.name));
  return {
    ...shown,
    clusters: byName(shown.clusters).map((c) => ({ name: c.name, cluster: options.raw ? c.cluster : redactCluster(c.cluster) })),
    users: byName(shown.users).map((u) => ({ name: u.name, user: options.raw ? u.user : redactUser(u.user) })),
    contexts: byName(shown.contexts),
  };
}

function minify(config: Kubeconfig, source: string, name: string): Kubeconfig {
  let selected;
  try {
    selected = selectContext(config, source, name === '' ? undefined : name);
  } catch (error) {
    throw asCliError(error);
  }
  const context = config.contexts.filter((c) => c.name === selected.name);
  return {
    ...config,
    clusters: config.clusters.filter((c) => c.name === selected.context.cluster),
    users: config.users.filter((u) => u.name === selected.context.user),
    contexts: context,
    'current-context': selected.name,
  };
}

function redactCluster(cluster: KubeconfigCluster): KubeconfigCluster {
  return cluster['certificate-authority-data'] ? { ...cluster, 'certificate-authority-data': DATA_OMITTED } : cluster;
}

function redactUser(user: KubeconfigUser): KubeconfigUser {
  const out: Record<string, string | undefined> = { ...user };
  for (const field of ['client-certificate-data', 'client-key-data'] as const) if (user[field]) out[field] = DATA_OMITTED;
  if (user.token) out['token'] = REDACTED;
  return out as KubeconfigUser;
}

/** kubectl prints a list it has nothing in as null. */
export function renderViewYaml(config: Kubeconfig): string {
  const text = serializeKubeconfig(config);
  return text.replace(/^(clusters|users|contexts): \[\]$/gm, '$1: null');
}

/** kubectl's JSON: its Go structs' field order, four-space indents. */
export function renderViewJson(config: Kubeconfig): string {
  const list = <T>(items: readonly T[]): readonly T[] | null => (items.length === 0 ? null : items);
  const ordered = {
    kind: config.kind,
    apiVersion: config.apiVersion,
    preferences: config.preferences,
    clusters: list(config.clusters.map((c) => ({ name: c.name, cluster: pick(c.cluster, CLUSTER_ORDER) }))),
    users: list(config.users.map((u) => ({ name: u.name, user: pick(u.user, USER_ORDER) }))),
    contexts: list(config.contexts.map((c) => ({ name: c.name, context: pick(c.context, CONTEXT_ORDER) }))),
    'current-context': config['current-context'],
  };
  return `${JSON.stringify(ordered, null, 4)}\n`;
}

const CLUSTER_ORDER = ['server', 'tls-server-name', 'certificate-authority', 'certificate-authority-data'];
const USER_ORDER = ['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token'];
const CONTEXT_ORDER = ['cluster', 'user', 'namespace'];

function pick(record: object, order: readonly string[]): Record<string, unknown> {
  const source = record as Record<string, unknown>;
  return Object.fromEntries(order.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}

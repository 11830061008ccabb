// What the control plane makes on its first start and keeps in its data dir
// (see the README's "Run on Linux hosts"): the cluster CA and its own
// certificates, the first join token, the admin kubeconfig, and the default
// RBAC objects. Every step is idempotent, so every start runs it.
import { join } from 'node:path';
import {
  adminKubeconfig,
  AlreadyExistsError,
  formatJoinToken,
  kindInfo,
  serializeKubeconfig,
  toTimestamp,
  type ResourceObject,
} from '@skiff/api';
import type { KeyPairPem } from '@skiff/api/x509';
import { bootstrapRbacObjects } from './auth/index.js';
import type { JoinTokens } from './nodes/join-tokens.js';
import type { ObjectStore } from './objects/object-store.js';
import {
  ensureControlPlaneClientCertificate,
  ensurePrivateDir,
  ensureServingCertificate,
  issueAdminCertificate,
  loadOrCreateClusterCa,
  loadOrCreateServiceAccountKey,
  readSecretFile,
  writeSecretFile,
  type ClusterCa,
  type LeafFiles,
  type ServingCertificate,
} from './pki/index.js';

export const TOKEN_FILE = 'token';
export const ADMIN_KUBECONFIG_FILE = 'admin.kubeconfig';

export interface ClusterIdentity {
  readonly ca: ClusterCa;
  readonly serving: ServingCertificate;
  /** What the control plane presents when it dials agents. */
  readonly agentClient: LeafFiles;
  readonly serviceAccountKey: KeyPairPem;
}

/** The CA (made on first start) and the control plane's own certificates, renewed when due or when `sans` changed. */
export async function loadClusterIdentity(dataDir: string, sans: readonly string[]): Promise<ClusterIdentity> {
  await ensurePrivateDir(dataDir);
  const ca = await loadOrCreateClusterCa(dataDir);
  const serving = await ensureServingCertificate(dataDir, ca, { sans });
  const agentClient = await ensureControlPlaneClientCertificate(dataDir, ca);
  const serviceAccountKey = await loadOrCreateServiceAccountKey(dataDir);
  return { ca, serving, agentClient, serviceAccountKey };
}

/** `<data-dir>/token`: a join token that never expires, written once (0600). Returns it. */
export async function ensureFirstJoinToken(dataDir: string, tokens: JoinTokens, caHash: string): Promise<string> {
  const path = join(dataDir, TOKEN_FILE);
  const existing = (await readSecretFile(path))?.trim();
  if (existing) return existing;
  const created = await tokens.create({ description: 'written to the data dir at first start' });
  const token = formatJoinToken({ caHash, id: created.id, secret: created.secret });
  await writeSecretFile(path, `${token}\n`);
  return token;
}

/** `<data-dir>/admin.kubeconfig` (0600), a cluster-admin's credentials for ctl and kubectl; written once. */
/** `server` is the gRPC address (ctl); `restServer`, when the REST API is served, becomes the kubeconfig's `server` (kubectl). */
export async function ensureAdminKubeconfig(dataDir: string, ca: ClusterCa, server: string, restServer?: string): Promise<string> {
  const path = join(dataDir, ADMIN_KUBECONFIG_FILE);
  if (await readSecretFile(path)) return path;
  const admin = await issueAdminCertificate(ca);
  const config = adminKubeconfig({ server, ...(restServer !== undefined ? { restServer } : {}), caPem: ca.certPem, certPem: admin.certPem, keyPem: admin.keyPem });
  await writeSecretFile(path, serializeKubeconfig(config));
  return path;
}

/** cluster-admin, admin, edit, view and the system:masters binding, created when absent (never overwritten: they are the admin's to edit). */
export async function ensureBootstrapRbac(objects: ObjectStore): Promise<void> {
  for (const object of bootstrapRbacObjects() as readonly ResourceObject[]) {
    const info = kindInfo(object.kind as 'ClusterRole' | 'ClusterRoleBinding');
    if (await objects.get(info, undefined, object.metadata.name)) continue;
    const now = toTimestamp(new Date());
    try {
      await objects.create(info, { ...object, metadata: { ...object.metadata, uid: crypto.randomUUID(), creationTimestamp: now, generation: 1 } });
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error; // another control plane got there first
    }
  }
}

// What an apply does to the stored object, as a pure function: which fields the
// user owns (labels, annotations, spec and the data fields), which the server
// owns (uid, creation time, generation, status, assigned node and IPs), and
// whether anything the user owns actually changed.
import { isDeepStrictEqual } from 'node:util';
import { checkImmutableJob, keepGeneratedSelector, prepareNewJob } from './job-apply.js';
import { checkFinalizerUpdate } from '../objects/object-deletion.js';
import { InvalidError, isRecord, toTimestamp, usesNodePorts, type ObjectMeta, type ResourceObject, type ServicePort } from '@skiff/api';

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

export interface ApplyPlan {
  readonly outcome: ApplyOutcome;
  /** The object to write (for "unchanged", the existing one). */
  readonly object: ResourceObject;
}

export interface ApplyContext {
  readonly now: Date;
  readonly newUid: () => string;
}

/** Top-level fields that are neither identity, metadata nor status: the desired state. */
const NOT_DESIRED = new Set(['apiVersion', 'kind', 'metadata', 'status']);

export function planApply(
  manifest: ResourceObject,
  existing: ResourceObject | undefined,
  context: ApplyContext,
): ApplyPlan {
  if (!existing) {
    const created = newObject(manifest, context);
    checkFinalizerUpdate(undefined, created);
    return { outcome: 'created', object: created };
  }

  const merged = mergeInto(existing, manifest);
  checkImmutable(existing, merged);
  checkFinalizerUpdate(existing, merged);
  const desiredChanged = !isDeepStrictEqual(desiredFields(existing), desiredFields(merged));
  const metadataChanged = !isDeepStrictEqual(userMetadata(existing.metadata), userMetadata(merged.metadata));
  if (!desiredChanged && !metadataChanged) return { outcome: 'unchanged', object: existing };
  if (desiredChanged) merged.metadata.generation = (existing.metadata.generation ?? 1) + 1;
  return { outcome: 'configured', object: merged };
}

function newObject(manifest: ResourceObject, context: ApplyContext): ResourceObject {
  const { status: _ignored, ...rest } = manifest;
  const metadata: ObjectMeta = {
    ...withoutServerFields(manifest.metadata),
    uid: context.newUid(),
    generation: 1,
    creationTimestamp: toTimestamp(context.now),
  };
  if (metadata.finalizers?.length) metadata.finalizers = [...new Set(metadata.finalizers)];
  else delete metadata.finalizers;
  const object: ResourceObject = { ...structuredClone(rest), metadata };
  if (manifest.kind === 'Namespace') object.status = { phase: 'Active' };
  return prepareNewJob(object);
}

function mergeInto(existing: ResourceObject, manifest: ResourceObject): ResourceObject {
  const merged: ResourceObject = {
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    metadata: {
      ...withoutServerFields(manifest.metadata),
      uid: existing.metadata.uid,
      generation: existing.metadata.generation,
      creationTimestamp: existing.metadata.creationTimestamp,
    },
  };
  const ownerReferences = manifest.metadata.ownerReferences ?? existing.metadata.ownerReferences;
  if (ownerReferences) merged.metadata.ownerReferences = structuredClone(ownerReferences);
  // Like owner references, finalizers survive a manifest that does not mention them; an empty list takes them all off.
  const finalizers = manifest.metadata.finalizers ?? existing.metadata.finalizers ?? [];
  if (finalizers.length > 0) merged.metadata.finalizers = [...new Set(finalizers)];
  else delete merged.metadata.finalizers;
  // Server-side apply's ownership records survive writes that do not carry them (ctl apply, a PUT without them), as in Kubernetes.
  const managedFields = manifest.metadata.managedFields ?? existing.metadata.managedFields;
  if (managedFields) merged.metadata.managedFields = structuredClone(managedFields);
  keepControllerAnnotations(existing, merged);
  if (existing.metadata.deletionTimestamp) merged.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
  if (existing.metadata.deletionGracePeriodSeconds !== undefined) merged.metadata.deletionGracePeriodSeconds = existing.metadata.deletionGracePeriodSeconds;
  for (const [field, value] of Object.entries(manifest)) {
    if (!NOT_DESIRED.has(field)) (merged as unknown as Record<string, unknown>)[field] = structuredClone(value);
  }
  keepServerAssignedSpec(existing, merged);
  keepGeneratedSelector(existing, merged);
  if (existing.status !== undefined) merged.status = existing.status;
  return merged;
}

/** Annotations the deployment controller writes (`deployment.kubernetes.io/revision`…) on Deployments and ReplicaSets. */
const CONTROLLER_ANNOTATION_PREFIX = 'deployment.kubernetes.io/';

/**
 * Like kubectl's three-way merge: annotations the controller owns survive an
 * apply that does not mention them, so re-applying the same file is "unchanged".
 */
function keepControllerAnnotations(existing: ResourceObject, merged: ResourceObject): void {
  if (existing.kind !== 'Deployment' && existing.kind !== 'ReplicaSet') return;
  const kept = Object.entries(existing.metadata.annotations ?? {}).filter(
    ([key]) => key.startsWith(CONTROLLER_ANNOTATION_PREFIX) && merged.metadata.annotations?.[key] === undefined,
  );
  if (kept.length === 0) return;
  merged.metadata.annotations = { ...merged.metadata.annotations, ...Object.fromEntries(kept) };
}

/** Spec fields the server fills in survive an apply that does not mention them. */
function keepServerAssignedSpec(existing: ResourceObject, merged: ResourceObject): void {
  const before = asRecord(existing.spec);
  const after = asRecord(merged.spec);
  if (!before || !after) return;
  if (existing.kind === 'Service') {
    keepServiceAllocations(before, after);
    return;
  }
  const assigned = existing.kind === 'Pod' ? ['nodeName'] : [];
  for (const field of assigned) {
    if (after[field] === undefined && before[field] !== undefined) after[field] = before[field];
  }
}

/**
 * A re-applied Service manifest that names no clusterIP or nodePort keeps the
 * ones allocated (node ports matched by port number and protocol), so
 * applying the same file twice is "unchanged". Types that do not have them
 * (ExternalName; ClusterIP for node ports) drop them.
 */
function keepServiceAllocations(before: Record<string, unknown>, after: Record<string, unknown>): void {
  const hasIP = (spec: Record<string, unknown>): boolean => spec.type !== 'ExternalName';
  if (hasIP(before) && hasIP(after) && after.clusterIP === undefined && before.clusterIP !== undefined) {
    after.clusterIP = before.clusterIP;
    after.clusterIPs = before.clusterIPs;
  }
  if (!usesNodePorts(before.type as string) || !usesNodePorts(after.type as string)) return;
  const old = Array.isArray(before.ports) ? (before.ports as ServicePort[]) : [];
  if (!Array.isArray(after.ports)) return;
  for (const port of after.ports as ServicePort[]) {
    if (port.nodePort !== undefined) continue;
    const match = old.find((p) => p.port === port.port && p.protocol === port.protocol);
    if (match?.nodePort !== undefined) port.nodePort = match.nodePort;
  }
}

function checkImmutable(existing: ResourceObject, merged: ResourceObject): void {
  checkImmutableJob(existing, merged);
  const before = existing as unknown as Record<string, unknown>;
  const after = merged as unknown as Record<string, unknown>;
  switch (existing.kind) {
    case 'ConfigMap':
    case 'Secret':
      if (before.immutable === true) {
        for (const field of ['data', 'binaryData', 'immutable']) {
          if (!isDeepStrictEqual(before[field], after[field])) {
            throw new InvalidError(`${field}: field is immutable when immutable is true; delete and re-create the ${existing.kind}`);
          }
        }
      }
      if (existing.kind === 'Secret' && before.type !== after.type) {
        throw new InvalidError('type: field is immutable; delete and re-create the Secret to change its type');
      }
      return;
    case 'Deployment':
    case 'DaemonSet':
      if (!isDeepStrictEqual(asRecord(existing.spec)?.selector, asRecord(merged.spec)?.selector)) {
        throw new InvalidError(`spec.selector: field is immutable; delete and re-create the ${existing.kind} to change it`);
      }
      return;
    case 'Service': {
      const before = asRecord(existing.spec) ?? {};
      const after = asRecord(merged.spec) ?? {};
      // Changing to or from ExternalName releases or allocates the IP; otherwise it is fixed once set.
      if (before.type === 'ExternalName' || after.type === 'ExternalName') return;
      if (before.clusterIP !== undefined && after.clusterIP !== before.clusterIP) {
        throw new InvalidError(
          `Service "${existing.metadata.name}" is invalid:\n  spec.clusterIP: Invalid value: ${JSON.stringify(after.clusterIP)}: field is immutable`,
          [`spec.clusterIP: Invalid value: ${JSON.stringify(after.clusterIP)}: field is immutable`],
        );
      }
      return;
    }
    case 'Pod':
      if (!isDeepStrictEqual(withoutImages(existing.spec), withoutImages(merged.spec))) {
        throw new InvalidError(
          'spec: pod updates may not change fields other than spec.containers[*].image; delete and re-create the Pod (or use a Deployment)',
        );
      }
      return;
    default:
      return;
  }
}

function withoutImages(spec: unknown): unknown {
  const record = asRecord(spec);
  if (!record || !Array.isArray(record.containers)) return spec;
  return { ...record, containers: record.containers.map((c: unknown) => ({ ...asRecord(c), image: undefined })) };
}

function desiredFields(object: ResourceObject): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(object)) if (!NOT_DESIRED.has(field)) fields[field] = value;
  return fields;
}

function userMetadata(metadata: ObjectMeta): unknown {
  // managedFields too: a server-side apply that only shares ownership of a field changes nothing else.
  return {
    labels: metadata.labels ?? {},
    annotations: metadata.annotations ?? {},
    owners: metadata.ownerReferences ?? [],
    finalizers: metadata.finalizers ?? [],
    managedFields: metadata.managedFields ?? [],
  };
}

function withoutServerFields(metadata: ObjectMeta): ObjectMeta {
  const {
    uid: _uid,
    resourceVersion: _rv,
    generation: _generation,
    creationTimestamp: _created,
    deletionTimestamp: _deleted,
    deletionGracePeriodSeconds: _grace,
    ...user
  } = metadata;
  return structuredClone(user);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

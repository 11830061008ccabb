// PodSpec and its parts: containers, env, ports, resources, probes (probe.ts),
// tolerations. Defaults are Kubernetes' own, so a manifest behaves the same
// on both.
import {
  booleanField,
  labelsMap,
  nonNegativeInteger,
  portNumber,
  quantity,
  stringField,
  stringList,
} from './fields.js';
import { type JsonSchema, mergedList } from './json-schema.js';
import { templateMetaSchema } from './object-meta.js';
import { lifecycleSchema, probeSchema } from './probe.js';
import { podSecurityContextSchema, securityContextSchema } from './security-context.js';
import { envFromSourceSchema, envVarSourceSchema, volumeMountSchema, volumeSchema } from './volumes.js';

/** `{ name }` of an object in the pod's namespace (an image pull Secret). */
export const localObjectReferenceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', format: 'dns1123-subdomain' } },
};

export const envVarSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', format: 'env-name' },
    value: stringField,
    valueFrom: envVarSourceSchema,
  },
};

export const containerPortSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['containerPort'],
  properties: {
    name: { type: 'string', format: 'port-name' },
    containerPort: portNumber,
    hostPort: portNumber,
    protocol: { type: 'string', enum: ['TCP', 'UDP'], default: 'TCP' },
  },
};

/**
 * cpu, memory, ephemeral-storage, and extended resources ("example.com/gpu");
 * anything else is most likely a typo ("cpus") and is reported as unknown.
 */
export const resourceListSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cpu: quantity,
    memory: quantity,
    'ephemeral-storage': quantity,
  },
  patternProperties: { '^[^/]+/[^/]+$': quantity },
};

export const resourceRequirementsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    requests: resourceListSchema,
    limits: resourceListSchema,
  },
};

export const containerSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'image'],
  properties: {
    name: { type: 'string', format: 'dns1123-label' },
    image: { type: 'string', minLength: 1 },
    // Defaulted by the tag (manifest-defaults.ts), as in Kubernetes.
    imagePullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] },
    command: stringList,
    args: stringList,
    workingDir: stringField,
    env: mergedList(envVarSchema, 'name'),
    envFrom: { type: 'array', items: envFromSourceSchema },
    volumeMounts: mergedList(volumeMountSchema, 'mountPath'),
    ports: mergedList(containerPortSchema, 'containerPort'),
    resources: resourceRequirementsSchema,
    livenessProbe: probeSchema,
    readinessProbe: probeSchema,
    startupProbe: probeSchema,
    lifecycle: lifecycleSchema,
    securityContext: securityContextSchema,
  },
};

export const tolerationSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string', format: 'label-key-or-empty' },
    operator: { type: 'string', enum: ['Exists', 'Equal'] },
    value: { type: 'string', format: 'label-value' },
    effect: { type: 'string', enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
    tolerationSeconds: { type: 'integer' },
  },
};

/** A pod's own resolver settings, merged into what dnsPolicy gives it (all of it with dnsPolicy None). */
export const podDnsConfigSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nameservers: { type: 'array', maxItems: 3, items: { type: 'string', minLength: 1 } },
    searches: { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\\.?$' } },
    options: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1, pattern: '^[^\\s:]+$' }, value: { type: 'string', pattern: '^\\S*$' } },
      },
    },
  },
};

export const podSpecSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['containers'],
  properties: {
    containers: mergedList(containerSchema, 'name', { minItems: 1 }),
    // Run one after another, each to a successful exit, before any of containers starts (probes refused in manifest-rules.ts).
    initContainers: mergedList(containerSchema, 'name'),
    restartPolicy: { type: 'string', enum: ['Always', 'OnFailure', 'Never'], default: 'Always' },
    terminationGracePeriodSeconds: { ...nonNegativeInteger, default: 30 },
    nodeName: { type: 'string', format: 'dns1123-subdomain' },
    nodeSelector: labelsMap,
    // No patch strategy in Kubernetes either: a patch's tolerations replace the list.
    tolerations: { type: 'array', items: tolerationSchema },
    serviceAccountName: { type: 'string', format: 'dns1123-subdomain' },
    automountServiceAccountToken: booleanField,
    imagePullSecrets: mergedList(localObjectReferenceSchema, 'name'),
    securityContext: podSecurityContextSchema,
    // With subdomain naming a headless Service, the pod is <hostname>.<subdomain>.<ns>.svc.<domain> in DNS.
    hostname: { type: 'string', format: 'dns1123-label' },
    subdomain: { type: 'string', format: 'dns1123-label' },
    // Read as ClusterFirst and true when absent (Kubernetes' defaults), by the agent.
    dnsPolicy: { type: 'string', enum: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] },
    dnsConfig: podDnsConfigSchema,
    enableServiceLinks: booleanField,
    volumes: mergedList(volumeSchema, 'name', { 'x-kubernetes-patch-strategy': 'merge,retainKeys' }),
  },
};

export const podTemplateSpecSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['spec'],
  properties: {
    metadata: templateMetaSchema,
    spec: podSpecSchema,
  },
};

import { booleanField, labelsMap, portNumber, portNumberOrName, stringField } from './fields.js';
import { type JsonSchema, mergedList } from './json-schema.js';
import { resourceSchema } from './resource.js';

/** Kubernetes' bounds for sessionAffinityConfig.clientIP.timeoutSeconds (default 10800: three hours). */
export const MAX_SESSION_AFFINITY_SECONDS = 86_400;
export const DEFAULT_SESSION_AFFINITY_SECONDS = 10_800;

// targetPort defaults to port, which a schema default cannot express; it is filled in code.
const servicePortSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    name: { type: 'string', format: 'dns1123-label' },
    protocol: { type: 'string', enum: ['TCP', 'UDP'], default: 'TCP' },
    port: portNumber,
    targetPort: portNumberOrName,
    nodePort: portNumber,
  },
};

// Service names become DNS names ("web.default.svc"), so they must start with a letter.
// Rules between fields (ports required unless headless or ExternalName, nodePort only
// for NodePort and LoadBalancer, …) are in service-rules.ts.
export const serviceSchema: JsonSchema = resourceSchema({
  kind: 'Service',
  nameFormat: 'dns1035-label',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'], default: 'ClusterIP' },
        selector: labelsMap,
        ports: mergedList(servicePortSchema, 'port'),
        clusterIP: stringField,
        clusterIPs: { type: 'array', items: stringField },
        externalName: stringField,
        sessionAffinity: { type: 'string', enum: ['None', 'ClientIP'], default: 'None' },
        sessionAffinityConfig: {
          type: 'object',
          additionalProperties: false,
          properties: {
            clientIP: {
              type: 'object',
              additionalProperties: false,
              properties: {
                timeoutSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: MAX_SESSION_AFFINITY_SECONDS,
                  'x-message': `must be greater than 0 and at most ${MAX_SESSION_AFFINITY_SECONDS}`,
                },
              },
            },
          },
        },
        publishNotReadyAddresses: booleanField,
      },
    },
  },
  required: ['spec'],
});

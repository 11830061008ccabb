import { labelsMap, portNumber, portNumberOrName, stringField } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { resourceSchema } from './resource.js';

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
export const serviceSchema: JsonSchema = resourceSchema({
  kind: 'Service',
  nameFormat: 'dns1035-label',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['ports'],
      properties: {
        type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer'], default: 'ClusterIP' },
        selector: labelsMap,
        ports: { type: 'array', minItems: 1, items: servicePortSchema },
        clusterIP: stringField,
      },
    },
  },
  required: ['spec'],
});

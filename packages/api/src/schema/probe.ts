// A container's probes and lifecycle hooks. Defaults are Kubernetes' own
// (SetDefaults_Probe, SetDefaults_HTTPGetAction); which handler, and which
// thresholds a probe kind allows, are rules between fields (probe-rules.ts).
import { nonNegativeInteger, portNumber, portNumberOrName, positiveInteger, stringField } from './fields.js';
import type { JsonSchema } from './json-schema.js';

const httpHeaderSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    name: { type: 'string', pattern: '^[-A-Za-z0-9]+$', 'x-message': 'must be an HTTP header name like X-Probe (letters, digits and "-")' },
    value: stringField,
  },
};

export const httpGetActionSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    path: { type: 'string', default: '/' },
    port: portNumberOrName,
    host: stringField,
    scheme: { type: 'string', enum: ['HTTP', 'HTTPS'], default: 'HTTP' },
    httpHeaders: { type: 'array', items: httpHeaderSchema },
  },
};

const tcpSocketActionSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: { port: portNumberOrName, host: stringField },
};

export const execActionSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: { command: { type: 'array', minItems: 1, items: stringField } },
};

/** grpc.health.v1.Health/Check on a port given by number (Kubernetes takes no name here). */
const grpcActionSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: { port: portNumber, service: stringField },
};

export const probeSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    httpGet: httpGetActionSchema,
    tcpSocket: tcpSocketActionSchema,
    exec: execActionSchema,
    grpc: grpcActionSchema,
    initialDelaySeconds: nonNegativeInteger,
    periodSeconds: { ...positiveInteger, default: 10 },
    timeoutSeconds: { ...positiveInteger, default: 1 },
    successThreshold: { ...positiveInteger, default: 1 },
    failureThreshold: { ...positiveInteger, default: 3 },
    terminationGracePeriodSeconds: positiveInteger,
  },
};

const lifecycleHandlerSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    exec: execActionSchema,
    httpGet: httpGetActionSchema,
    sleep: { type: 'object', additionalProperties: false, required: ['seconds'], properties: { seconds: nonNegativeInteger } },
  },
};

export const lifecycleSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { postStart: lifecycleHandlerSchema, preStop: lifecycleHandlerSchema },
};

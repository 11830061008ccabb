// Loads proto/skiff/v1/api.proto at run time and gives it the generated types.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/api.js';
import type { AgentClient } from './generated/skiff/v1/Agent.js';
import type { ApiClient } from './generated/skiff/v1/Api.js';
import type { NodeApiClient } from './generated/skiff/v1/NodeApi.js';

export const PROTO_DIR = fileURLToPath(new URL('../../../proto', import.meta.url));

/** Largest message either side accepts: a manifest, or a list of objects. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

let loaded: ProtoGrpcType | undefined;

export function loadApiProto(): ProtoGrpcType {
  if (!loaded) {
    const definition = protoLoader.loadSync('skiff/v1/api.proto', {
      includeDirs: [PROTO_DIR],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded;
}

export function apiServiceDefinition(): grpc.ServiceDefinition {
  return loadApiProto().skiff.v1.Api.service;
}

export function nodeApiServiceDefinition(): grpc.ServiceDefinition {
  return loadApiProto().skiff.v1.NodeApi.service;
}

export function agentServiceDefinition(): grpc.ServiceDefinition {
  return loadApiProto().skiff.v1.Agent.service;
}

function clientOptions(options: grpc.ClientOptions): grpc.ClientOptions {
  return {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // grpc-js backs off reconnects up to 120 s by default; a restarted control
    // plane (or agent) must be found again within a heartbeat or two.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    // Notice a dead peer (kill -9, partition) instead of waiting on TCP timeouts.
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    ...options,
  };
}

// Each client takes the channel's credentials (TLS: `grpc.credentials.createSsl(ca, key, cert)`).
// Skiff's servers speak TLS only; a caller that passes none gets a plaintext
// channel, which reaches nothing of Skiff's (tests use it for a local proxy).

export function createApiClient(address: string, options: grpc.ClientOptions = {}, credentials?: grpc.ChannelCredentials): ApiClient {
  const { Api } = loadApiProto().skiff.v1;
  return new Api(address, credentials ?? grpc.credentials.createInsecure(), clientOptions(options));
}

export function createNodeApiClient(address: string, options: grpc.ClientOptions = {}, credentials?: grpc.ChannelCredentials): NodeApiClient {
  const { NodeApi } = loadApiProto().skiff.v1;
  return new NodeApi(address, credentials ?? grpc.credentials.createInsecure(), clientOptions(options));
}

export function createAgentClient(address: string, options: grpc.ClientOptions = {}, credentials?: grpc.ChannelCredentials): AgentClient {
  const { Agent } = loadApiProto().skiff.v1;
  return new Agent(address, credentials ?? grpc.credentials.createInsecure(), clientOptions(options));
}

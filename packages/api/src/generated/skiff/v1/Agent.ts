// Original file: proto/skiff/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ExecInput as _skiff_v1_ExecInput, ExecInput__Output as _skiff_v1_ExecInput__Output } from '../../skiff/v1/ExecInput.js';
import type { ExecOutput as _skiff_v1_ExecOutput, ExecOutput__Output as _skiff_v1_ExecOutput__Output } from '../../skiff/v1/ExecOutput.js';
import type { GetResourceMetricsRequest as _skiff_v1_GetResourceMetricsRequest, GetResourceMetricsRequest__Output as _skiff_v1_GetResourceMetricsRequest__Output } from '../../skiff/v1/GetResourceMetricsRequest.js';
import type { GetResourceMetricsResponse as _skiff_v1_GetResourceMetricsResponse, GetResourceMetricsResponse__Output as _skiff_v1_GetResourceMetricsResponse__Output } from '../../skiff/v1/GetResourceMetricsResponse.js';
import type { LogChunk as _skiff_v1_LogChunk, LogChunk__Output as _skiff_v1_LogChunk__Output } from '../../skiff/v1/LogChunk.js';
import type { LogsRequest as _skiff_v1_LogsRequest, LogsRequest__Output as _skiff_v1_LogsRequest__Output } from '../../skiff/v1/LogsRequest.js';

export interface AgentClient extends grpc.Client {
  Exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  Exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  
  GetResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  GetResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  GetResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  GetResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  getResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  getResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  getResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  getResourceMetrics(argument: _skiff_v1_GetResourceMetricsRequest, callback: grpc.requestCallback<_skiff_v1_GetResourceMetricsResponse__Output>): grpc.ClientUnaryCall;
  
  Logs(argument: _skiff_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  Logs(argument: _skiff_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  logs(argument: _skiff_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  logs(argument: _skiff_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  
}

export interface AgentHandlers extends grpc.UntypedServiceImplementation {
  Exec: grpc.handleBidiStreamingCall<_skiff_v1_ExecInput__Output, _skiff_v1_ExecOutput>;
  
  GetResourceMetrics: grpc.handleUnaryCall<_skiff_v1_GetResourceMetricsRequest__Output, _skiff_v1_GetResourceMetricsResponse>;
  
  Logs: grpc.handleServerStreamingCall<_skiff_v1_LogsRequest__Output, _skiff_v1_LogChunk>;
  
}

export interface AgentDefinition extends grpc.ServiceDefinition {
  Exec: MethodDefinition<_skiff_v1_ExecInput, _skiff_v1_ExecOutput, _skiff_v1_ExecInput__Output, _skiff_v1_ExecOutput__Output>
  GetResourceMetrics: MethodDefinition<_skiff_v1_GetResourceMetricsRequest, _skiff_v1_GetResourceMetricsResponse, _skiff_v1_GetResourceMetricsRequest__Output, _skiff_v1_GetResourceMetricsResponse__Output>
  Logs: MethodDefinition<_skiff_v1_LogsRequest, _skiff_v1_LogChunk, _skiff_v1_LogsRequest__Output, _skiff_v1_LogChunk__Output>
}

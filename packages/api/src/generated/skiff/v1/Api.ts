// Original file: proto/skiff/v1/api.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ApplyRequest as _skiff_v1_ApplyRequest, ApplyRequest__Output as _skiff_v1_ApplyRequest__Output } from '../../skiff/v1/ApplyRequest.js';
import type { ApplyResponse as _skiff_v1_ApplyResponse, ApplyResponse__Output as _skiff_v1_ApplyResponse__Output } from '../../skiff/v1/ApplyResponse.js';
import type { CanIRequest as _skiff_v1_CanIRequest, CanIRequest__Output as _skiff_v1_CanIRequest__Output } from '../../skiff/v1/CanIRequest.js';
import type { CanIResponse as _skiff_v1_CanIResponse, CanIResponse__Output as _skiff_v1_CanIResponse__Output } from '../../skiff/v1/CanIResponse.js';
import type { CordonRequest as _skiff_v1_CordonRequest, CordonRequest__Output as _skiff_v1_CordonRequest__Output } from '../../skiff/v1/CordonRequest.js';
import type { CordonResponse as _skiff_v1_CordonResponse, CordonResponse__Output as _skiff_v1_CordonResponse__Output } from '../../skiff/v1/CordonResponse.js';
import type { CreateTokenRequest as _skiff_v1_CreateTokenRequest, CreateTokenRequest__Output as _skiff_v1_CreateTokenRequest__Output } from '../../skiff/v1/CreateTokenRequest.js';
import type { CreateTokenResponse as _skiff_v1_CreateTokenResponse, CreateTokenResponse__Output as _skiff_v1_CreateTokenResponse__Output } from '../../skiff/v1/CreateTokenResponse.js';
import type { DeleteRequest as _skiff_v1_DeleteRequest, DeleteRequest__Output as _skiff_v1_DeleteRequest__Output } from '../../skiff/v1/DeleteRequest.js';
import type { DeleteResponse as _skiff_v1_DeleteResponse, DeleteResponse__Output as _skiff_v1_DeleteResponse__Output } from '../../skiff/v1/DeleteResponse.js';
import type { ExecInput as _skiff_v1_ExecInput, ExecInput__Output as _skiff_v1_ExecInput__Output } from '../../skiff/v1/ExecInput.js';
import type { ExecOutput as _skiff_v1_ExecOutput, ExecOutput__Output as _skiff_v1_ExecOutput__Output } from '../../skiff/v1/ExecOutput.js';
import type { GetRequest as _skiff_v1_GetRequest, GetRequest__Output as _skiff_v1_GetRequest__Output } from '../../skiff/v1/GetRequest.js';
import type { GetResponse as _skiff_v1_GetResponse, GetResponse__Output as _skiff_v1_GetResponse__Output } from '../../skiff/v1/GetResponse.js';
import type { ListRequest as _skiff_v1_ListRequest, ListRequest__Output as _skiff_v1_ListRequest__Output } from '../../skiff/v1/ListRequest.js';
import type { ListResponse as _skiff_v1_ListResponse, ListResponse__Output as _skiff_v1_ListResponse__Output } from '../../skiff/v1/ListResponse.js';
import type { LogChunk as _skiff_v1_LogChunk, LogChunk__Output as _skiff_v1_LogChunk__Output } from '../../skiff/v1/LogChunk.js';
import type { LogsRequest as _skiff_v1_LogsRequest, LogsRequest__Output as _skiff_v1_LogsRequest__Output } from '../../skiff/v1/LogsRequest.js';
import type { ScaleRequest as _skiff_v1_ScaleRequest, ScaleRequest__Output as _skiff_v1_ScaleRequest__Output } from '../../skiff/v1/ScaleRequest.js';
import type { ScaleResponse as _skiff_v1_ScaleResponse, ScaleResponse__Output as _skiff_v1_ScaleResponse__Output } from '../../skiff/v1/ScaleResponse.js';
import type { WatchEvent as _skiff_v1_WatchEvent, WatchEvent__Output as _skiff_v1_WatchEvent__Output } from '../../skiff/v1/WatchEvent.js';
import type { WatchRequest as _skiff_v1_WatchRequest, WatchRequest__Output as _skiff_v1_WatchRequest__Output } from '../../skiff/v1/WatchRequest.js';

export interface ApiClient extends grpc.Client {
  Apply(argument: _skiff_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _skiff_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _skiff_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _skiff_v1_ApplyRequest, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _skiff_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _skiff_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _skiff_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _skiff_v1_ApplyRequest, callback: grpc.requestCallback<_skiff_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  
  CanI(argument: _skiff_v1_CanIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  CanI(argument: _skiff_v1_CanIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  CanI(argument: _skiff_v1_CanIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  CanI(argument: _skiff_v1_CanIRequest, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  canI(argument: _skiff_v1_CanIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  canI(argument: _skiff_v1_CanIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  canI(argument: _skiff_v1_CanIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  canI(argument: _skiff_v1_CanIRequest, callback: grpc.requestCallback<_skiff_v1_CanIResponse__Output>): grpc.ClientUnaryCall;
  
  Cordon(argument: _skiff_v1_CordonRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  Cordon(argument: _skiff_v1_CordonRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  Cordon(argument: _skiff_v1_CordonRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  Cordon(argument: _skiff_v1_CordonRequest, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  cordon(argument: _skiff_v1_CordonRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  cordon(argument: _skiff_v1_CordonRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  cordon(argument: _skiff_v1_CordonRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  cordon(argument: _skiff_v1_CordonRequest, callback: grpc.requestCallback<_skiff_v1_CordonResponse__Output>): grpc.ClientUnaryCall;
  
  CreateToken(argument: _skiff_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _skiff_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _skiff_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _skiff_v1_CreateTokenRequest, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _skiff_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _skiff_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _skiff_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _skiff_v1_CreateTokenRequest, callback: grpc.requestCallback<_skiff_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  
  Delete(argument: _skiff_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _skiff_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _skiff_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _skiff_v1_DeleteRequest, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _skiff_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _skiff_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _skiff_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _skiff_v1_DeleteRequest, callback: grpc.requestCallback<_skiff_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  
  Exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  Exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_skiff_v1_ExecInput, _skiff_v1_ExecOutput__Output>;
  
  Get(argument: _skiff_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _skiff_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _skiff_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _skiff_v1_GetRequest, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _skiff_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _skiff_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _skiff_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _skiff_v1_GetRequest, callback: grpc.requestCallback<_skiff_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  
  List(argument: _skiff_v1_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _skiff_v1_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _skiff_v1_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _skiff_v1_ListRequest, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _skiff_v1_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _skiff_v1_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _skiff_v1_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _skiff_v1_ListRequest, callback: grpc.requestCallback<_skiff_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  
  Logs(argument: _skiff_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  Logs(argument: _skiff_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  logs(argument: _skiff_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  logs(argument: _skiff_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_LogChunk__Output>;
  
  Scale(argument: _skiff_v1_ScaleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  Scale(argument: _skiff_v1_ScaleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  Scale(argument: _skiff_v1_ScaleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  Scale(argument: _skiff_v1_ScaleRequest, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  scale(argument: _skiff_v1_ScaleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  scale(argument: _skiff_v1_ScaleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  scale(argument: _skiff_v1_ScaleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  scale(argument: _skiff_v1_ScaleRequest, callback: grpc.requestCallback<_skiff_v1_ScaleResponse__Output>): grpc.ClientUnaryCall;
  
  Watch(argument: _skiff_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_WatchEvent__Output>;
  Watch(argument: _skiff_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_WatchEvent__Output>;
  watch(argument: _skiff_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_WatchEvent__Output>;
  watch(argument: _skiff_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_WatchEvent__Output>;
  
}

export interface ApiHandlers extends grpc.UntypedServiceImplementation {
  Apply: grpc.handleUnaryCall<_skiff_v1_ApplyRequest__Output, _skiff_v1_ApplyResponse>;
  
  CanI: grpc.handleUnaryCall<_skiff_v1_CanIRequest__Output, _skiff_v1_CanIResponse>;
  
  Cordon: grpc.handleUnaryCall<_skiff_v1_CordonRequest__Output, _skiff_v1_CordonResponse>;
  
  CreateToken: grpc.handleUnaryCall<_skiff_v1_CreateTokenRequest__Output, _skiff_v1_CreateTokenResponse>;
  
  Delete: grpc.handleUnaryCall<_skiff_v1_DeleteRequest__Output, _skiff_v1_DeleteResponse>;
  
  Exec: grpc.handleBidiStreamingCall<_skiff_v1_ExecInput__Output, _skiff_v1_ExecOutput>;
  
  Get: grpc.handleUnaryCall<_skiff_v1_GetRequest__Output, _skiff_v1_GetResponse>;
  
  List: grpc.handleUnaryCall<_skiff_v1_ListRequest__Output, _skiff_v1_ListResponse>;
  
  Logs: grpc.handleServerStreamingCall<_skiff_v1_LogsRequest__Output, _skiff_v1_LogChunk>;
  
  Scale: grpc.handleUnaryCall<_skiff_v1_ScaleRequest__Output, _skiff_v1_ScaleResponse>;
  
  Watch: grpc.handleServerStreamingCall<_skiff_v1_WatchRequest__Output, _skiff_v1_WatchEvent>;
  
}

export interface ApiDefinition extends grpc.ServiceDefinition {
  Apply: MethodDefinition<_skiff_v1_ApplyRequest, _skiff_v1_ApplyResponse, _skiff_v1_ApplyRequest__Output, _skiff_v1_ApplyResponse__Output>
  CanI: MethodDefinition<_skiff_v1_CanIRequest, _skiff_v1_CanIResponse, _skiff_v1_CanIRequest__Output, _skiff_v1_CanIResponse__Output>
  Cordon: MethodDefinition<_skiff_v1_CordonRequest, _skiff_v1_CordonResponse, _skiff_v1_CordonRequest__Output, _skiff_v1_CordonResponse__Output>
  CreateToken: MethodDefinition<_skiff_v1_CreateTokenRequest, _skiff_v1_CreateTokenResponse, _skiff_v1_CreateTokenRequest__Output, _skiff_v1_CreateTokenResponse__Output>
  Delete: MethodDefinition<_skiff_v1_DeleteRequest, _skiff_v1_DeleteResponse, _skiff_v1_DeleteRequest__Output, _skiff_v1_DeleteResponse__Output>
  Exec: MethodDefinition<_skiff_v1_ExecInput, _skiff_v1_ExecOutput, _skiff_v1_ExecInput__Output, _skiff_v1_ExecOutput__Output>
  Get: MethodDefinition<_skiff_v1_GetRequest, _skiff_v1_GetResponse, _skiff_v1_GetRequest__Output, _skiff_v1_GetResponse__Output>
  List: MethodDefinition<_skiff_v1_ListRequest, _skiff_v1_ListResponse, _skiff_v1_ListRequest__Output, _skiff_v1_ListResponse__Output>
  Logs: MethodDefinition<_skiff_v1_LogsRequest, _skiff_v1_LogChunk, _skiff_v1_LogsRequest__Output, _skiff_v1_LogChunk__Output>
  Scale: MethodDefinition<_skiff_v1_ScaleRequest, _skiff_v1_ScaleResponse, _skiff_v1_ScaleRequest__Output, _skiff_v1_ScaleResponse__Output>
  Watch: MethodDefinition<_skiff_v1_WatchRequest, _skiff_v1_WatchEvent, _skiff_v1_WatchRequest__Output, _skiff_v1_WatchEvent__Output>
}

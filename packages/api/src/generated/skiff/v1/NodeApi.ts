// Original file: proto/skiff/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AssignmentEvent as _skiff_v1_AssignmentEvent, AssignmentEvent__Output as _skiff_v1_AssignmentEvent__Output } from '../../skiff/v1/AssignmentEvent.js';
import type { HeartbeatRequest as _skiff_v1_HeartbeatRequest, HeartbeatRequest__Output as _skiff_v1_HeartbeatRequest__Output } from '../../skiff/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _skiff_v1_HeartbeatResponse, HeartbeatResponse__Output as _skiff_v1_HeartbeatResponse__Output } from '../../skiff/v1/HeartbeatResponse.js';
import type { JoinRequest as _skiff_v1_JoinRequest, JoinRequest__Output as _skiff_v1_JoinRequest__Output } from '../../skiff/v1/JoinRequest.js';
import type { JoinResponse as _skiff_v1_JoinResponse, JoinResponse__Output as _skiff_v1_JoinResponse__Output } from '../../skiff/v1/JoinResponse.js';
import type { RegisterNodeRequest as _skiff_v1_RegisterNodeRequest, RegisterNodeRequest__Output as _skiff_v1_RegisterNodeRequest__Output } from '../../skiff/v1/RegisterNodeRequest.js';
import type { RegisterNodeResponse as _skiff_v1_RegisterNodeResponse, RegisterNodeResponse__Output as _skiff_v1_RegisterNodeResponse__Output } from '../../skiff/v1/RegisterNodeResponse.js';
import type { RenewCertificateRequest as _skiff_v1_RenewCertificateRequest, RenewCertificateRequest__Output as _skiff_v1_RenewCertificateRequest__Output } from '../../skiff/v1/RenewCertificateRequest.js';
import type { RenewCertificateResponse as _skiff_v1_RenewCertificateResponse, RenewCertificateResponse__Output as _skiff_v1_RenewCertificateResponse__Output } from '../../skiff/v1/RenewCertificateResponse.js';
import type { UpdatePodStatusRequest as _skiff_v1_UpdatePodStatusRequest, UpdatePodStatusRequest__Output as _skiff_v1_UpdatePodStatusRequest__Output } from '../../skiff/v1/UpdatePodStatusRequest.js';
import type { UpdatePodStatusResponse as _skiff_v1_UpdatePodStatusResponse, UpdatePodStatusResponse__Output as _skiff_v1_UpdatePodStatusResponse__Output } from '../../skiff/v1/UpdatePodStatusResponse.js';
import type { WatchAssignmentsRequest as _skiff_v1_WatchAssignmentsRequest, WatchAssignmentsRequest__Output as _skiff_v1_WatchAssignmentsRequest__Output } from '../../skiff/v1/WatchAssignmentsRequest.js';

export interface NodeApiClient extends grpc.Client {
  Heartbeat(argument: _skiff_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _skiff_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _skiff_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _skiff_v1_HeartbeatRequest, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _skiff_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _skiff_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _skiff_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _skiff_v1_HeartbeatRequest, callback: grpc.requestCallback<_skiff_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  Join(argument: _skiff_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _skiff_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _skiff_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _skiff_v1_JoinRequest, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _skiff_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _skiff_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _skiff_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _skiff_v1_JoinRequest, callback: grpc.requestCallback<_skiff_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  RegisterNode(argument: _skiff_v1_RegisterNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _skiff_v1_RegisterNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _skiff_v1_RegisterNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _skiff_v1_RegisterNodeRequest, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _skiff_v1_RegisterNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _skiff_v1_RegisterNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _skiff_v1_RegisterNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _skiff_v1_RegisterNodeRequest, callback: grpc.requestCallback<_skiff_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  
  RenewCertificate(argument: _skiff_v1_RenewCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewCertificate(argument: _skiff_v1_RenewCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewCertificate(argument: _skiff_v1_RenewCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewCertificate(argument: _skiff_v1_RenewCertificateRequest, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _skiff_v1_RenewCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _skiff_v1_RenewCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _skiff_v1_RenewCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _skiff_v1_RenewCertificateRequest, callback: grpc.requestCallback<_skiff_v1_RenewCertificateResponse__Output>): grpc.ClientUnaryCall;
  
  UpdatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  updatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  updatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  updatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  updatePodStatus(argument: _skiff_v1_UpdatePodStatusRequest, callback: grpc.requestCallback<_skiff_v1_UpdatePodStatusResponse__Output>): grpc.ClientUnaryCall;
  
  WatchAssignments(argument: _skiff_v1_WatchAssignmentsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_AssignmentEvent__Output>;
  WatchAssignments(argument: _skiff_v1_WatchAssignmentsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_AssignmentEvent__Output>;
  watchAssignments(argument: _skiff_v1_WatchAssignmentsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_AssignmentEvent__Output>;
  watchAssignments(argument: _skiff_v1_WatchAssignmentsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_skiff_v1_AssignmentEvent__Output>;
  
}

export interface NodeApiHandlers extends grpc.UntypedServiceImplementation {
  Heartbeat: grpc.handleUnaryCall<_skiff_v1_HeartbeatRequest__Output, _skiff_v1_HeartbeatResponse>;
  
  Join: grpc.handleUnaryCall<_skiff_v1_JoinRequest__Output, _skiff_v1_JoinResponse>;
  
  RegisterNode: grpc.handleUnaryCall<_skiff_v1_RegisterNodeRequest__Output, _skiff_v1_RegisterNodeResponse>;
  
  RenewCertificate: grpc.handleUnaryCall<_skiff_v1_RenewCertificateRequest__Output, _skiff_v1_RenewCertificateResponse>;
  
  UpdatePodStatus: grpc.handleUnaryCall<_skiff_v1_UpdatePodStatusRequest__Output, _skiff_v1_UpdatePodStatusResponse>;
  
  WatchAssignments: grpc.handleServerStreamingCall<_skiff_v1_WatchAssignmentsRequest__Output, _skiff_v1_AssignmentEvent>;
  
}

export interface NodeApiDefinition extends grpc.ServiceDefinition {
  Heartbeat: MethodDefinition<_skiff_v1_HeartbeatRequest, _skiff_v1_HeartbeatResponse, _skiff_v1_HeartbeatRequest__Output, _skiff_v1_HeartbeatResponse__Output>
  Join: MethodDefinition<_skiff_v1_JoinRequest, _skiff_v1_JoinResponse, _skiff_v1_JoinRequest__Output, _skiff_v1_JoinResponse__Output>
  RegisterNode: MethodDefinition<_skiff_v1_RegisterNodeRequest, _skiff_v1_RegisterNodeResponse, _skiff_v1_RegisterNodeRequest__Output, _skiff_v1_RegisterNodeResponse__Output>
  RenewCertificate: MethodDefinition<_skiff_v1_RenewCertificateRequest, _skiff_v1_RenewCertificateResponse, _skiff_v1_RenewCertificateRequest__Output, _skiff_v1_RenewCertificateResponse__Output>
  UpdatePodStatus: MethodDefinition<_skiff_v1_UpdatePodStatusRequest, _skiff_v1_UpdatePodStatusResponse, _skiff_v1_UpdatePodStatusRequest__Output, _skiff_v1_UpdatePodStatusResponse__Output>
  WatchAssignments: MethodDefinition<_skiff_v1_WatchAssignmentsRequest, _skiff_v1_AssignmentEvent, _skiff_v1_WatchAssignmentsRequest__Output, _skiff_v1_AssignmentEvent__Output>
}

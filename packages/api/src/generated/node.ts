import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentClient as _skiff_v1_AgentClient, AgentDefinition as _skiff_v1_AgentDefinition } from './skiff/v1/Agent.js';
import type { AssignmentEvent as _skiff_v1_AssignmentEvent, AssignmentEvent__Output as _skiff_v1_AssignmentEvent__Output } from './skiff/v1/AssignmentEvent.js';
import type { ContainerResourceSample as _skiff_v1_ContainerResourceSample, ContainerResourceSample__Output as _skiff_v1_ContainerResourceSample__Output } from './skiff/v1/ContainerResourceSample.js';
import type { ExecExit as _skiff_v1_ExecExit, ExecExit__Output as _skiff_v1_ExecExit__Output } from './skiff/v1/ExecExit.js';
import type { ExecInput as _skiff_v1_ExecInput, ExecInput__Output as _skiff_v1_ExecInput__Output } from './skiff/v1/ExecInput.js';
import type { ExecOutput as _skiff_v1_ExecOutput, ExecOutput__Output as _skiff_v1_ExecOutput__Output } from './skiff/v1/ExecOutput.js';
import type { ExecStart as _skiff_v1_ExecStart, ExecStart__Output as _skiff_v1_ExecStart__Output } from './skiff/v1/ExecStart.js';
import type { GetResourceMetricsRequest as _skiff_v1_GetResourceMetricsRequest, GetResourceMetricsRequest__Output as _skiff_v1_GetResourceMetricsRequest__Output } from './skiff/v1/GetResourceMetricsRequest.js';
import type { GetResourceMetricsResponse as _skiff_v1_GetResourceMetricsResponse, GetResourceMetricsResponse__Output as _skiff_v1_GetResourceMetricsResponse__Output } from './skiff/v1/GetResourceMetricsResponse.js';
import type { HeartbeatRequest as _skiff_v1_HeartbeatRequest, HeartbeatRequest__Output as _skiff_v1_HeartbeatRequest__Output } from './skiff/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _skiff_v1_HeartbeatResponse, HeartbeatResponse__Output as _skiff_v1_HeartbeatResponse__Output } from './skiff/v1/HeartbeatResponse.js';
import type { JoinRequest as _skiff_v1_JoinRequest, JoinRequest__Output as _skiff_v1_JoinRequest__Output } from './skiff/v1/JoinRequest.js';
import type { JoinResponse as _skiff_v1_JoinResponse, JoinResponse__Output as _skiff_v1_JoinResponse__Output } from './skiff/v1/JoinResponse.js';
import type { LogChunk as _skiff_v1_LogChunk, LogChunk__Output as _skiff_v1_LogChunk__Output } from './skiff/v1/LogChunk.js';
import type { LogsRequest as _skiff_v1_LogsRequest, LogsRequest__Output as _skiff_v1_LogsRequest__Output } from './skiff/v1/LogsRequest.js';
import type { NodeApiClient as _skiff_v1_NodeApiClient, NodeApiDefinition as _skiff_v1_NodeApiDefinition } from './skiff/v1/NodeApi.js';
import type { PodResourceSample as _skiff_v1_PodResourceSample, PodResourceSample__Output as _skiff_v1_PodResourceSample__Output } from './skiff/v1/PodResourceSample.js';
import type { RegisterNodeRequest as _skiff_v1_RegisterNodeRequest, RegisterNodeRequest__Output as _skiff_v1_RegisterNodeRequest__Output } from './skiff/v1/RegisterNodeRequest.js';
import type { RegisterNodeResponse as _skiff_v1_RegisterNodeResponse, RegisterNodeResponse__Output as _skiff_v1_RegisterNodeResponse__Output } from './skiff/v1/RegisterNodeResponse.js';
import type { RenewCertificateRequest as _skiff_v1_RenewCertificateRequest, RenewCertificateRequest__Output as _skiff_v1_RenewCertificateRequest__Output } from './skiff/v1/RenewCertificateRequest.js';
import type { RenewCertificateResponse as _skiff_v1_RenewCertificateResponse, RenewCertificateResponse__Output as _skiff_v1_RenewCertificateResponse__Output } from './skiff/v1/RenewCertificateResponse.js';
import type { ResourceUsageSample as _skiff_v1_ResourceUsageSample, ResourceUsageSample__Output as _skiff_v1_ResourceUsageSample__Output } from './skiff/v1/ResourceUsageSample.js';
import type { StdinClose as _skiff_v1_StdinClose, StdinClose__Output as _skiff_v1_StdinClose__Output } from './skiff/v1/StdinClose.js';
import type { TerminalSize as _skiff_v1_TerminalSize, TerminalSize__Output as _skiff_v1_TerminalSize__Output } from './skiff/v1/TerminalSize.js';
import type { UpdatePodStatusRequest as _skiff_v1_UpdatePodStatusRequest, UpdatePodStatusRequest__Output as _skiff_v1_UpdatePodStatusRequest__Output } from './skiff/v1/UpdatePodStatusRequest.js';
import type { UpdatePodStatusResponse as _skiff_v1_UpdatePodStatusResponse, UpdatePodStatusResponse__Output as _skiff_v1_UpdatePodStatusResponse__Output } from './skiff/v1/UpdatePodStatusResponse.js';
import type { WatchAssignmentsRequest as _skiff_v1_WatchAssignmentsRequest, WatchAssignmentsRequest__Output as _skiff_v1_WatchAssignmentsRequest__Output } from './skiff/v1/WatchAssignmentsRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  skiff: {
    v1: {
      Agent: SubtypeConstructor<typeof grpc.Client, _skiff_v1_AgentClient> & { service: _skiff_v1_AgentDefinition }
      AssignmentEvent: MessageTypeDefinition<_skiff_v1_AssignmentEvent, _skiff_v1_AssignmentEvent__Output>
      ContainerResourceSample: MessageTypeDefinition<_skiff_v1_ContainerResourceSample, _skiff_v1_ContainerResourceSample__Output>
      ExecExit: MessageTypeDefinition<_skiff_v1_ExecExit, _skiff_v1_ExecExit__Output>
      ExecInput: MessageTypeDefinition<_skiff_v1_ExecInput, _skiff_v1_ExecInput__Output>
      ExecOutput: MessageTypeDefinition<_skiff_v1_ExecOutput, _skiff_v1_ExecOutput__Output>
      ExecStart: MessageTypeDefinition<_skiff_v1_ExecStart, _skiff_v1_ExecStart__Output>
      GetResourceMetricsRequest: MessageTypeDefinition<_skiff_v1_GetResourceMetricsRequest, _skiff_v1_GetResourceMetricsRequest__Output>
      GetResourceMetricsResponse: MessageTypeDefinition<_skiff_v1_GetResourceMetricsResponse, _skiff_v1_GetResourceMetricsResponse__Output>
      HeartbeatRequest: MessageTypeDefinition<_skiff_v1_HeartbeatRequest, _skiff_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_skiff_v1_HeartbeatResponse, _skiff_v1_HeartbeatResponse__Output>
      JoinRequest: MessageTypeDefinition<_skiff_v1_JoinRequest, _skiff_v1_JoinRequest__Output>
      JoinResponse: MessageTypeDefinition<_skiff_v1_JoinResponse, _skiff_v1_JoinResponse__Output>
      LogChunk: MessageTypeDefinition<_skiff_v1_LogChunk, _skiff_v1_LogChunk__Output>
      LogsRequest: MessageTypeDefinition<_skiff_v1_LogsRequest, _skiff_v1_LogsRequest__Output>
      NodeApi: SubtypeConstructor<typeof grpc.Client, _skiff_v1_NodeApiClient> & { service: _skiff_v1_NodeApiDefinition }
      PodResourceSample: MessageTypeDefinition<_skiff_v1_PodResourceSample, _skiff_v1_PodResourceSample__Output>
      RegisterNodeRequest: MessageTypeDefinition<_skiff_v1_RegisterNodeRequest, _skiff_v1_RegisterNodeRequest__Output>
      RegisterNodeResponse: MessageTypeDefinition<_skiff_v1_RegisterNodeResponse, _skiff_v1_RegisterNodeResponse__Output>
      RenewCertificateRequest: MessageTypeDefinition<_skiff_v1_RenewCertificateRequest, _skiff_v1_RenewCertificateRequest__Output>
      RenewCertificateResponse: MessageTypeDefinition<_skiff_v1_RenewCertificateResponse, _skiff_v1_RenewCertificateResponse__Output>
      ResourceUsageSample: MessageTypeDefinition<_skiff_v1_ResourceUsageSample, _skiff_v1_ResourceUsageSample__Output>
      StdinClose: MessageTypeDefinition<_skiff_v1_StdinClose, _skiff_v1_StdinClose__Output>
      TerminalSize: MessageTypeDefinition<_skiff_v1_TerminalSize, _skiff_v1_TerminalSize__Output>
      UpdatePodStatusRequest: MessageTypeDefinition<_skiff_v1_UpdatePodStatusRequest, _skiff_v1_UpdatePodStatusRequest__Output>
      UpdatePodStatusResponse: MessageTypeDefinition<_skiff_v1_UpdatePodStatusResponse, _skiff_v1_UpdatePodStatusResponse__Output>
      WatchAssignmentsRequest: MessageTypeDefinition<_skiff_v1_WatchAssignmentsRequest, _skiff_v1_WatchAssignmentsRequest__Output>
    }
  }
}


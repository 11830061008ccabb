import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ApiClient as _skiff_v1_ApiClient, ApiDefinition as _skiff_v1_ApiDefinition } from './skiff/v1/Api.js';
import type { ApplyRequest as _skiff_v1_ApplyRequest, ApplyRequest__Output as _skiff_v1_ApplyRequest__Output } from './skiff/v1/ApplyRequest.js';
import type { ApplyResponse as _skiff_v1_ApplyResponse, ApplyResponse__Output as _skiff_v1_ApplyResponse__Output } from './skiff/v1/ApplyResponse.js';
import type { DeleteRequest as _skiff_v1_DeleteRequest, DeleteRequest__Output as _skiff_v1_DeleteRequest__Output } from './skiff/v1/DeleteRequest.js';
import type { DeleteResponse as _skiff_v1_DeleteResponse, DeleteResponse__Output as _skiff_v1_DeleteResponse__Output } from './skiff/v1/DeleteResponse.js';
import type { GetRequest as _skiff_v1_GetRequest, GetRequest__Output as _skiff_v1_GetRequest__Output } from './skiff/v1/GetRequest.js';
import type { GetResponse as _skiff_v1_GetResponse, GetResponse__Output as _skiff_v1_GetResponse__Output } from './skiff/v1/GetResponse.js';
import type { ListRequest as _skiff_v1_ListRequest, ListRequest__Output as _skiff_v1_ListRequest__Output } from './skiff/v1/ListRequest.js';
import type { ListResponse as _skiff_v1_ListResponse, ListResponse__Output as _skiff_v1_ListResponse__Output } from './skiff/v1/ListResponse.js';
import type { ObjectRef as _skiff_v1_ObjectRef, ObjectRef__Output as _skiff_v1_ObjectRef__Output } from './skiff/v1/ObjectRef.js';
import type { ScaleRequest as _skiff_v1_ScaleRequest, ScaleRequest__Output as _skiff_v1_ScaleRequest__Output } from './skiff/v1/ScaleRequest.js';
import type { ScaleResponse as _skiff_v1_ScaleResponse, ScaleResponse__Output as _skiff_v1_ScaleResponse__Output } from './skiff/v1/ScaleResponse.js';
import type { WatchEvent as _skiff_v1_WatchEvent, WatchEvent__Output as _skiff_v1_WatchEvent__Output } from './skiff/v1/WatchEvent.js';
import type { WatchRequest as _skiff_v1_WatchRequest, WatchRequest__Output as _skiff_v1_WatchRequest__Output } from './skiff/v1/WatchRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  skiff: {
    v1: {
      Api: SubtypeConstructor<typeof grpc.Client, _skiff_v1_ApiClient> & { service: _skiff_v1_ApiDefinition }
      ApplyRequest: MessageTypeDefinition<_skiff_v1_ApplyRequest, _skiff_v1_ApplyRequest__Output>
      ApplyResponse: MessageTypeDefinition<_skiff_v1_ApplyResponse, _skiff_v1_ApplyResponse__Output>
      DeleteRequest: MessageTypeDefinition<_skiff_v1_DeleteRequest, _skiff_v1_DeleteRequest__Output>
      DeleteResponse: MessageTypeDefinition<_skiff_v1_DeleteResponse, _skiff_v1_DeleteResponse__Output>
      GetRequest: MessageTypeDefinition<_skiff_v1_GetRequest, _skiff_v1_GetRequest__Output>
      GetResponse: MessageTypeDefinition<_skiff_v1_GetResponse, _skiff_v1_GetResponse__Output>
      ListRequest: MessageTypeDefinition<_skiff_v1_ListRequest, _skiff_v1_ListRequest__Output>
      ListResponse: MessageTypeDefinition<_skiff_v1_ListResponse, _skiff_v1_ListResponse__Output>
      ObjectRef: MessageTypeDefinition<_skiff_v1_ObjectRef, _skiff_v1_ObjectRef__Output>
      ScaleRequest: MessageTypeDefinition<_skiff_v1_ScaleRequest, _skiff_v1_ScaleRequest__Output>
      ScaleResponse: MessageTypeDefinition<_skiff_v1_ScaleResponse, _skiff_v1_ScaleResponse__Output>
      WatchEvent: MessageTypeDefinition<_skiff_v1_WatchEvent, _skiff_v1_WatchEvent__Output>
      WatchRequest: MessageTypeDefinition<_skiff_v1_WatchRequest, _skiff_v1_WatchRequest__Output>
    }
  }
}


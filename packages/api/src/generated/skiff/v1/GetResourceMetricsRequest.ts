// Original file: proto/skiff/v1/node.proto


export interface GetResourceMetricsRequest {
}

export interface GetResourceMetricsRequest__Output {
}

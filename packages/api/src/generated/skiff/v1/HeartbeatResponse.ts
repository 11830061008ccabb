// Original file: proto/skiff/v1/node.proto


export interface HeartbeatResponse {
}

export interface HeartbeatResponse__Output {
}

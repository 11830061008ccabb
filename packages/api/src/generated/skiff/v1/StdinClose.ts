// Original file: proto/skiff/v1/node.proto


export interface StdinClose {
}

export interface StdinClose__Output {
}

// Original file: proto/skiff/v1/node.proto


export interface ExecExit {
  'code'?: (number);
}

export interface ExecExit__Output {
  'code': (number);
}

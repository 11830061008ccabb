// Original file: proto/skiff/v1/node.proto


export interface LogsRequest {
  'namespace'?: (string);
  'pod'?: (string);
  'container'?: (string);
  'follow'?: (boolean);
  'tail_lines'?: (number);
  'timestamps'?: (boolean);
  'since_seconds'?: (number);
  'previous'?: (boolean);
}

export interface LogsRequest__Output {
  'namespace': (string);
  'pod': (string);
  'container': (string);
  'follow': (boolean);
  'tail_lines': (number);
  'timestamps': (boolean);
  'since_seconds': (number);
  'previous': (boolean);
}

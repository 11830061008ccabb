// Original file: proto/skiff/v1/node.proto


export interface TerminalSize {
  'width'?: (number);
  'height'?: (number);
}

export interface TerminalSize__Output {
  'width': (number);
  'height': (number);
}

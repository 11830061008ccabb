// Original file: proto/skiff/v1/node.proto

import type { TerminalSize as _skiff_v1_TerminalSize, TerminalSize__Output as _skiff_v1_TerminalSize__Output } from '../../skiff/v1/TerminalSize.js';

export interface ExecStart {
  'namespace'?: (string);
  'pod'?: (string);
  'container'?: (string);
  'command'?: (string)[];
  'stdin'?: (boolean);
  'tty'?: (boolean);
  'terminal_size'?: (_skiff_v1_TerminalSize | null);
}

export interface ExecStart__Output {
  'namespace': (string);
  'pod': (string);
  'container': (string);
  'command': (string)[];
  'stdin': (boolean);
  'tty': (boolean);
  'terminal_size': (_skiff_v1_TerminalSize__Output | null);
}

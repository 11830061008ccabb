// Original file: proto/skiff/v1/node.proto

import type { ExecExit as _skiff_v1_ExecExit, ExecExit__Output as _skiff_v1_ExecExit__Output } from '../../skiff/v1/ExecExit.js';

export interface ExecOutput {
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  'exit'?: (_skiff_v1_ExecExit | null);
  'frame'?: "stdout"|"stderr"|"exit";
}

export interface ExecOutput__Output {
  'stdout'?: (Buffer);
  'stderr'?: (Buffer);
  'exit'?: (_skiff_v1_ExecExit__Output | null);
  'frame'?: "stdout"|"stderr"|"exit";
}

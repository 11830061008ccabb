// Original file: proto/skiff/v1/node.proto

import type { ExecStart as _skiff_v1_ExecStart, ExecStart__Output as _skiff_v1_ExecStart__Output } from '../../skiff/v1/ExecStart.js';
import type { TerminalSize as _skiff_v1_TerminalSize, TerminalSize__Output as _skiff_v1_TerminalSize__Output } from '../../skiff/v1/TerminalSize.js';
import type { StdinClose as _skiff_v1_StdinClose, StdinClose__Output as _skiff_v1_StdinClose__Output } from '../../skiff/v1/StdinClose.js';

export interface ExecInput {
  'start'?: (_skiff_v1_ExecStart | null);
  'stdin'?: (Buffer | Uint8Array | string);
  'resize'?: (_skiff_v1_TerminalSize | null);
  'stdin_close'?: (_skiff_v1_StdinClose | null);
  'frame'?: "start"|"stdin"|"resize"|"stdin_close";
}

export interface ExecInput__Output {
  'start'?: (_skiff_v1_ExecStart__Output | null);
  'stdin'?: (Buffer);
  'resize'?: (_skiff_v1_TerminalSize__Output | null);
  'stdin_close'?: (_skiff_v1_StdinClose__Output | null);
  'frame'?: "start"|"stdin"|"resize"|"stdin_close";
}

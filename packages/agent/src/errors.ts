// Agent errors that carry a gRPC status, for the agent's own Logs service.
import { status } from '@grpc/grpc-js';

export abstract class AgentError extends Error {
  abstract readonly code: status;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AgentError {
  readonly code = status.NOT_FOUND;
}

export class InvalidError extends AgentError {
  readonly code = status.INVALID_ARGUMENT;
}

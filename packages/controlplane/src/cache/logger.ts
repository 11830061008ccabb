// The slice of a logger the controllers need. pino's Logger satisfies it, so
// the control plane passes its own; tests pass nothing and get silence.

export interface ControllerLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const ignore = (): void => {};

export const silentLogger: ControllerLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };


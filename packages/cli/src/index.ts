// @skiff/cli: the ctl program, for embedding and tests.
export { buildProgram } from './program.js';
export { connect, createContext, type CliContext } from './context.js';
export { CliError, QuietFailure, ServerError } from './errors.js';
export { SkiffClient, type AccessQuery, type ApplyAnswer, type ListQuery, type Ref, type TokenAnswer } from './client.js';
export { resolveConnection, type Connection, type ConnectionFlags } from './connection/connection.js';

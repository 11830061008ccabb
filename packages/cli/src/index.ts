// @skiff/cli: the ctl program, for embedding and tests.
export { buildProgram } from './program.js';
export { createContext, type CliContext } from './context.js';
export { CliError } from './errors.js';
export { SkiffClient, type ApplyAnswer, type ListQuery, type Ref } from './client.js';
export { ServerError } from './errors.js';

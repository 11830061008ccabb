// Where the built programs are, for tests and dev tooling that start them as
// real processes (testkit never imports their code).
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CONTROLPLANE_MAIN = `${REPO_ROOT}packages/controlplane/dist/main.js`;
export const AGENT_MAIN = `${REPO_ROOT}packages/agent/dist/main.js`;
export const CTL_MAIN = `${REPO_ROOT}packages/cli/dist/main.js`;
export const MANIFESTS_DIR = `${REPO_ROOT}manifests`;

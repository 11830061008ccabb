/** A container whose spec cannot be turned into something runnable: CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

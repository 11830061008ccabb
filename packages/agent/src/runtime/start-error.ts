// The error both drivers throw when a container's process never ran.

/** The container process never ran: runc could not create it, the command was not found, … */
export class ContainerStartError extends Error {
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super(`container ${id} failed to start: ${reason}`);
    this.name = 'ContainerStartError';
  }
}

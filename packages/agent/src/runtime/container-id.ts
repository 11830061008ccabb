// Container ids end up in runc's state directory, in cgroup directory names,
// in our own state-dir paths and in hostnames, so they are checked once, here,
// before any of those is touched. The pattern is runc's own rule for ids.

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Directory names are limited to 255 bytes; keep well under so suffixes (".tmp-…") still fit. */
export const MAX_CONTAINER_ID_LENGTH = 200;

export class InvalidContainerIdError extends Error {
  constructor(readonly id: string) {
    super(
      `invalid container id ${JSON.stringify(id)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]* ` +
        `and be at most ${MAX_CONTAINER_ID_LENGTH} characters`,
    );
    this.name = 'InvalidContainerIdError';
  }
}

export function isValidContainerId(id: string): boolean {
  return id.length <= MAX_CONTAINER_ID_LENGTH && CONTAINER_ID.test(id);
}

/** Throws InvalidContainerIdError unless `id` is safe for runc, cgroups and paths. */
export function assertValidContainerId(id: string): void {
  if (!isValidContainerId(id)) throw new InvalidContainerIdError(id);
}

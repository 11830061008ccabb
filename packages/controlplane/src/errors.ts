// Transitional: the control plane's errors are @skiff/api's vocabulary.
export {
  SkiffError,
  InvalidError,
  NotFoundError,
  AlreadyExistsError,
  ConflictError,
  BatchConflictError,
  CompactedError,
  UnavailableError,
  UnavailableError as StoreUnavailableError,
  FailedPreconditionError,
} from '@skiff/api';

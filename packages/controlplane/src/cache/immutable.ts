// Cached objects are shared by every reader of an informer, so they are
// deep-frozen and typed read-only; a write starts from a thawed copy.
/** A deeply read-only view of a JSON-shaped value. */
export type Immutable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly Immutable<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Immutable<T[K]> }
      : T;

/** Freezes a JSON-shaped value and everything inside it; returns it for chaining. */
export function deepFreeze<T>(value: T): Immutable<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value as Immutable<T>;
}

/**
 * A mutable deep copy of a cached object, to build a write from. Name the type
 * (`thaw<Deployment>(cached)`): TypeScript cannot infer T back from Immutable<T>.
 */
export function thaw<T>(value: Immutable<T>): T {
  return structuredClone(value) as T;
}

/**
 * `derive` memoized per frozen (cached) object: an informer's objects never
 * change, so what is derived from one (a parsed selector, a stripped template)
 * is computed once and dropped with it. A value that is not frozen (a fresh
 * object being built) is derived every time: it may still change.
 */
export function memoizedByFrozen<T extends object, R>(derive: (value: T) => R): (value: T) => R {
  const memo = new WeakMap<T, R>();
  return (value) => {
    if (!Object.isFrozen(value)) return derive(value);
    if (memo.has(value)) return memo.get(value) as R;
    const derived = derive(value);
    memo.set(value, derived);
    return derived;
  };
}

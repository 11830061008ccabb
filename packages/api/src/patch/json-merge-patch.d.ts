// json-merge-patch ships no types; the one function Skiff uses.
declare module 'json-merge-patch' {
  /** RFC 7386: applies `patch` to `target`, changing `target` in place, and returns the result. */
  export function apply(target: unknown, patch: unknown): unknown;
}

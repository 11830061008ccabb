// Narrowing helpers for walking documents whose shape the schema may have
// rejected: the code-level rules still run then, and must not throw.

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function recordAt(parent: unknown, key: string): JsonRecord | undefined {
  if (!isRecord(parent)) return undefined;
  const value = parent[key];
  return isRecord(value) ? value : undefined;
}

export function arrayAt(parent: unknown, key: string): unknown[] {
  if (!isRecord(parent)) return [];
  const value = parent[key];
  return Array.isArray(value) ? value : [];
}

export function stringAt(parent: unknown, key: string): string | undefined {
  if (!isRecord(parent)) return undefined;
  const value = parent[key];
  return typeof value === 'string' ? value : undefined;
}

/** A string-to-string map, ignoring entries of any other type. */
export function stringMapAt(parent: unknown, key: string): Record<string, string> | undefined {
  const record = recordAt(parent, key);
  if (!record) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (typeof v === 'string') out[k] = v;
  return out;
}

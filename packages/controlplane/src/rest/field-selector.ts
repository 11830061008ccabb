// Kubernetes' fieldSelector (`metadata.name=web,status.phase!=Running`): terms
// joined by commas, each `path=value`, `path==value` or `path!=value`, matched
// against the object's field at that dotted path (absent fields read as "").
// Kubernetes accepts only a few paths per kind; Skiff accepts any dotted path
// of the object, a superset that answers the same for those few.
import { InvalidError, type ResourceObject } from '@skiff/api';

export interface FieldTerm {
  readonly path: readonly string[];
  readonly value: string;
  readonly negated: boolean;
}

const TERM = /^([A-Za-z][A-Za-z0-9_.-]*)\s*(==|!=|=)\s*(.*)$/;

export function parseFieldSelector(text: string | null | undefined): FieldTerm[] {
  if (!text?.trim()) return [];
  return text.split(',').map((term) => {
    const match = TERM.exec(term.trim());
    if (!match?.[1] || !match[2]) {
      throw new InvalidError(`fieldSelector: "${term}" is not a field term; write path=value, path==value or path!=value (metadata.name=web)`);
    }
    return { path: match[1].split('.'), value: match[3] ?? '', negated: match[2] === '!=' };
  });
}

function fieldText(object: unknown, path: readonly string[]): string {
  let value: unknown = object;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return '';
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function fieldsMatch(terms: readonly FieldTerm[], object: ResourceObject): boolean {
  return terms.every((term) => (fieldText(object, term.path) === term.value) !== term.negated);
}


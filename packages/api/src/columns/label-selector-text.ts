// kubectl's text of a label selector: terms sorted by key, values sorted.
import { selectorFromLabelSelector, type LabelSelector } from '../core.js';

export function labelSelectorText(selector: LabelSelector): string {
  const terms: { key: string; term: LabelSelector }[] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, term: { matchLabels: { [key]: value } } })),
    ...(selector.matchExpressions ?? []).map((e) => ({
      key: e.key,
      term: { matchExpressions: [{ ...e, ...(e.values ? { values: [...e.values].sort() } : {}) }] },
    })),
  ];
  terms.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const text = terms.map(({ term }) => selectorFromLabelSelector(term).toString()).join(',');
  return text ? text : '<none>';
}

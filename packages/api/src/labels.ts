// Label selectors: the `-l` text syntax of kubectl and the structured
// LabelSelector of Deployment specs, both compiled to one matcher so that the
// CLI, the controllers and the scheduler agree on what a selector selects.
import { isValidLabelKey, isValidLabelValue } from './names.js';
import type { LabelSelector, Labels } from './types.js';

export { isValidLabelKey, isValidLabelValue } from './names.js';

export type SelectorOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** One value for Equals/NotEquals, at least one for In/NotIn, none for Exists/DoesNotExist. */
  readonly values: readonly string[];
}

export interface Selector {
  readonly requirements: readonly LabelRequirement[];
  /** True when every requirement holds; an object without labels has none of them. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** An empty selector has no requirements and matches everything. */
  isEmpty(): boolean;
  /** The text syntax; parseSelector(s.toString()) selects the same objects. */
  toString(): string;
}

/** A malformed selector text; the message names the problem and its 0-based position. */
export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
  constructor(
    readonly selector: string,
    readonly position: number,
    readonly problem: string,
  ) {
    super(`label selector ${JSON.stringify(selector)}: ${problem} at position ${position}`);
  }
}

class RequirementSelector implements Selector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map(formatRequirement).join(',');
  }
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  // Own properties only: a label key like "constructor" must not find Object.prototype.
  const present = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = present ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'Equals':
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotEquals':
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
  }
}

function formatRequirement(r: LabelRequirement): string {
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Equals':
      return `${r.key}=${r.values[0] ?? ''}`;
    case 'NotEquals':
      return `${r.key}!=${r.values[0] ?? ''}`;
    case 'In':
      return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
  }
}

type Token =
  | { readonly type: 'word'; readonly text: string; readonly pos: number }
  | { readonly type: '=' | '==' | '!=' | '!' | '(' | ')' | ','; readonly pos: number }
  | { readonly type: 'end'; readonly pos: number };

const SPECIAL = new Set(['!', '=', '(', ')', ',']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === '=' || c === '!') {
      if (text[i + 1] === '=') {
        tokens.push({ type: c === '=' ? '==' : '!=', pos: i });
        i += 2;
      } else {
        tokens.push({ type: c, pos: i });
        i++;
      }
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, pos: i });
      i++;
    } else {
      const start = i;
      while (i < text.length && !SPECIAL.has(text[i] ?? '') && !/\s/.test(text[i] ?? '')) i++;
      tokens.push({ type: 'word', text: text.slice(start, i), pos: start });
    }
  }
  tokens.push({ type: 'end', pos: text.length });
  return tokens;
}

function describe(token: Token): string {
  if (token.type === 'end') return 'the end of the selector';
  if (token.type === 'word') return JSON.stringify(token.text);
  return `"${token.type}"`;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    if (this.peek().type === 'end') return requirements;
    for (;;) {
      requirements.push(this.requirement());
      const next = this.next();
      if (next.type === 'end') return requirements;
      if (next.type !== ',') {
        const last = requirements[requirements.length - 1];
        const after = last ? ` after ${JSON.stringify(formatRequirement(last))}` : '';
        this.fail(next, `expected "," or the end of the selector${after}, found ${describe(next)}`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let token = this.next();
    if (token.type === '!') {
      const key = this.key(this.next(), 'after "!"');
      return { key, operator: 'DoesNotExist', values: [] };
    }
    const key = this.key(token, '');
    token = this.peek();
    switch (token.type) {
      case 'end':
      case ',':
        return { key, operator: 'Exists', values: [] };
      case '=':
      case '==':
      case '!=': {
        this.next();
        const value = this.value(this.next(), `after "${token.type}"`);
        return { key, operator: token.type === '!=' ? 'NotEquals' : 'Equals', values: [value] };
      }
      case 'word':
        if (token.text === 'in' || token.text === 'notin') {
          this.next();
          return { key, operator: token.text === 'in' ? 'In' : 'NotIn', values: this.valueSet(token.text) };
        }
        break;
      default:
        break;
    }
    return this.fail(
      token,
      `expected "=", "==", "!=", "in", "notin", "," or the end of the selector after label key ${JSON.stringify(key)}, found ${describe(token)}`,
    );
  }

  private valueSet(operator: string): string[] {
    const open = this.next();
    if (open.type !== '(') this.fail(open, `expected "(" after "${operator}", found ${describe(open)}`);
    const values: string[] = [];
    for (;;) {
      values.push(this.value(this.next(), values.length === 0 ? 'after "("' : 'after ","'));
      const sep = this.next();
      if (sep.type === ')') return values;
      if (sep.type !== ',') this.fail(sep, `expected "," or ")" in the value list of "${operator}", found ${describe(sep)}`);
    }
  }

  private key(token: Token, context: string): string {
    const where = context ? ` ${context}` : '';
    if (token.type !== 'word') return this.fail(token, `expected a label key${where}, found ${describe(token)}`);
    if (!isValidLabelKey(token.text)) return this.fail(token, `invalid label key ${JSON.stringify(token.text)}`);
    return token.text;
  }

  private value(token: Token, context: string): string {
    if (token.type !== 'word') return this.fail(token, `expected a value ${context}`);
    if (!isValidLabelValue(token.text)) return this.fail(token, `invalid label value ${JSON.stringify(token.text)}`);
    return token.text;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { type: 'end', pos: this.text.length };
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length) this.index++;
    return token;
  }

  private fail(token: Token, problem: string): never {
    throw new SelectorSyntaxError(this.text, token.pos, problem);
  }
}

/**
 * Parses kubectl's selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, joined by commas. The empty string selects everything.
 */
export function parseSelector(text: string): Selector {
  return new RequirementSelector(new Parser(text).parse());
}

/**
 * Compiles a Deployment-style selector. An absent selector is empty and so
 * matches everything; callers that must not select everything check isEmpty().
 * Throws TypeError for an operator, key or value set Kubernetes would reject.
 */
export function selectorFromLabelSelector(sel: LabelSelector | undefined): Selector {
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) {
    if (!isValidLabelKey(key)) throw new TypeError(`matchLabels: invalid label key ${JSON.stringify(key)}`);
    if (!isValidLabelValue(value)) throw new TypeError(`matchLabels[${JSON.stringify(key)}]: invalid label value ${JSON.stringify(value)}`);
    requirements.push({ key, operator: 'Equals', values: [value] });
  }
  (sel?.matchExpressions ?? []).forEach((expr, i) => {
    const where = `matchExpressions[${i}]`;
    if (!isValidLabelKey(expr.key)) throw new TypeError(`${where}.key: invalid label key ${JSON.stringify(expr.key)}`);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new TypeError(`${where}.values: must not be empty when operator is ${expr.operator}`);
        for (const v of values) {
          if (!isValidLabelValue(v)) throw new TypeError(`${where}.values: invalid label value ${JSON.stringify(v)}`);
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw new TypeError(`${where}.values: must be empty when operator is ${expr.operator}`);
        break;
      default:
        throw new TypeError(`${where}.operator: unknown operator ${JSON.stringify(expr.operator)}`);
    }
    requirements.push({ key: expr.key, operator: expr.operator, values: [...values] });
  });
  return new RequirementSelector(requirements);
}

/** The selector that matches exactly the objects carrying all of these labels (a Service's selector). */
export function selectorFromLabels(labels: Labels | undefined): Selector {
  return selectorFromLabelSelector({ matchLabels: labels ?? {} });
}

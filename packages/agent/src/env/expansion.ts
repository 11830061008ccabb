// Kubernetes' $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/
// expansion), used on env values, command and args. Written by hand because
// no npm library has these exact semantics, and a container's argv must come
// out byte for byte as kubelet makes it:
//   $(NAME) → the value of NAME when NAME is defined, else "$(NAME)" unchanged;
//   $$      → "$" (so "$$(NAME)" is the literal "$(NAME)");
//   "$" followed by anything else, or "$(" never closed, stays as written.

/** The value of a variable, or undefined when it is not defined. */
export type Lookup = (name: string) => string | undefined;

export function expand(input: string, lookup: Lookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const { text, isVariable, advance } = readVariable(input, cursor + 1);
    out += isVariable ? (lookup(text) ?? `$(${text})`) : text;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** What follows a "$" at `at`: a variable name in parentheses, an escaped "$", or literal text. */
function readVariable(input: string, at: number): { text: string; isVariable: boolean; advance: number } {
  const next = input[at];
  if (next === '$') return { text: '$', isVariable: false, advance: 1 };
  if (next === '(') {
    const close = input.indexOf(')', at + 1);
    if (close >= 0) return { text: input.slice(at + 1, close), isVariable: true, advance: close - at + 1 };
    // An unterminated reference is kept as written: "$(" here, the rest copied on.
    return { text: '$(', isVariable: false, advance: 1 };
  }
  return { text: `$${next ?? ''}`, isVariable: false, advance: 1 };
}

/** A lookup over maps, the first that defines a name winning (kubelet's MappingFuncFor). */
export function lookupIn(...maps: readonly Readonly<Record<string, string>>[]): Lookup {
  return (name) => {
    for (const map of maps) if (Object.hasOwn(map, name)) return map[name];
    return undefined;
  };
}

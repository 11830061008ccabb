// The WWW-Authenticate header of a registry's 401, read into challenges.
//
// Hand-written on purpose: the npm parsers do not fit what registries send.
// `auth-header` reads one challenge per header only, while fetch joins
// repeated headers into one comma-separated value; `http-auth-utils` accepts
// only RFC 6750's Bearer parameters and throws on the `service` parameter that
// every Docker-style token realm sends; `www-authenticate` is an HTTP Digest
// client whose parser has the same one-challenge limit.

export interface AuthChallenge {
  /** Lower case: "bearer", "basic". */
  readonly scheme: string;
  /** Parameter names in lower case, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a WWW-Authenticate value: `Bearer realm="…",service="…",scope="a,b"`.
 * Quoted values may contain commas, and several challenges may be joined by
 * commas (as fetch joins repeated headers), so this tokenises rather than splits.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = [];
  const token = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*/y;
  let i = 0;
  while (i < header.length) {
    if (header[i] === ',' || header[i] === ' ') {
      i++;
      continue;
    }
    token.lastIndex = i;
    const name = token.exec(header);
    if (!name?.[1]) break;
    i = token.lastIndex;
    if (header[i] === '=') {
      // A parameter of the current challenge.
      i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        while (i < header.length && header[i] !== ',') value += header[i++];
        value = value.trim();
      }
      const current = challenges[challenges.length - 1];
      if (current) current.params[name[1].toLowerCase()] = value;
    } else {
      challenges.push({ scheme: name[1].toLowerCase(), params: {} });
    }
  }
  return challenges;
}

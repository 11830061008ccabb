// Image references as users write them in pod specs, normalised the way the
// Docker CLI and containerd do, so "busybox" means what everyone expects.
//
//   reference  := [domain "/"] path [":" tag] ["@" digest]
//   domain     := host [":" port]     (host: DNS name, IPv4, or [IPv6])
//   path       := component ("/" component)*, lower case
//
// The first path segment is a domain only if it contains "." or ":", starts
// with "[", or is "localhost"; otherwise the image lives on Docker Hub, whose
// one-segment names sit under "library/".
import { ImagePullError } from './errors.js';

export interface ImageReference {
  /** The text as given. */
  readonly original: string;
  /** Registry as named: "docker.io" for Docker Hub, else host[:port]. */
  readonly domain: string;
  /** host[:port] that serves the distribution API ("registry-1.docker.io" for Docker Hub). */
  readonly registry: string;
  /** Repository path within the registry: "library/busybox", "skiff/busybox". */
  readonly repository: string;
  /** Tag; "latest" when neither tag nor digest was given; undefined for a digest-only reference. */
  readonly tag: string | undefined;
  /** "sha256:<64 hex>" when the reference pins one. */
  readonly digest: string | undefined;
}

export const DOCKER_HUB_DOMAIN = 'docker.io';
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB_DOMAIN, 'index.docker.io', DOCKER_HUB_REGISTRY]);

const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DNS_LABEL = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/;

function invalid(text: string, why: string): ImagePullError {
  return new ImagePullError('invalid-reference', text, why);
}

/** Parses and normalises `text`; throws ImagePullError('invalid-reference') saying what is wrong. */
export function parseImageReference(text: string): ImageReference {
  if (text.length === 0) throw invalid(text, 'the reference is empty');
  if (/\s/.test(text)) throw invalid(text, 'the reference contains white space');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (SHA256.test(digest)) {
      // ok
    } else if (ANY_DIGEST.test(digest) && !digest.startsWith('sha256:')) {
      throw invalid(text, `unsupported digest algorithm in "${digest}" (only sha256 is supported)`);
    } else {
      throw invalid(text, `malformed digest "${digest}" (expected sha256: followed by 64 lower-case hex digits)`);
    }
  }

  // A tag is a ":" after the last "/" (a ":" before it belongs to a port).
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(text, `malformed tag "${tag}" (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
    }
  }
  if (rest.length === 0) throw invalid(text, 'the repository name is empty');

  let domain = DOCKER_HUB_DOMAIN;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first.startsWith('[') || first === 'localhost') {
      domain = validateDomain(text, first);
      path = rest.slice(firstSlash + 1);
    }
  }
  if (path.length === 0) throw invalid(text, 'the repository name is empty');
  for (const component of path.split('/')) {
    if (component.length === 0) throw invalid(text, `empty path component in "${path}"`);
    if (!PATH_COMPONENT.test(component)) {
      const hint = component.toLowerCase() !== component ? ' (repository names must be lower case)' : '';
      throw invalid(text, `malformed repository name component "${component}"${hint}`);
    }
  }

  const hub = DOCKER_HUB_ALIASES.has(domain.toLowerCase());
  if (hub) {
    domain = DOCKER_HUB_DOMAIN;
    if (!path.includes('/')) path = `library/${path}`;
  }
  if (domain.length + 1 + path.length > MAX_NAME_LENGTH) {
    throw invalid(text, `the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (tag === undefined && digest === undefined) tag = 'latest';

  return {
    original: text,
    domain,
    registry: hub ? DOCKER_HUB_REGISTRY : domain,
    repository: path,
    tag,
    digest,
  };
}

function validateDomain(text: string, domain: string): string {
  let host: string;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close < 0) throw invalid(text, `unterminated IPv6 address in "${domain}"`);
    host = domain.slice(1, close);
    const after = domain.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) throw invalid(text, `malformed registry "${domain}"`);
      port = after.slice(1);
    }
    if (!IPV6.test(host) || !host.includes(':')) throw invalid(text, `malformed IPv6 address "${host}"`);
  } else {
    const colon = domain.indexOf(':');
    host = colon >= 0 ? domain.slice(0, colon) : domain;
    port = colon >= 0 ? domain.slice(colon + 1) : undefined;
    for (const label of host.split('.')) {
      if (!DNS_LABEL.test(label)) throw invalid(text, `malformed registry host "${host}"`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw invalid(text, `malformed registry port "${port}"`);
  }
  return domain;
}

/** "domain/repository[:tag][@digest]": the fully qualified spelling, used as the local record key. */
export function canonicalReference(ref: ImageReference): string {
  let text = `${ref.domain}/${ref.repository}`;
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}

/** What to ask the registry's manifests endpoint for: the digest when pinned (it wins over a tag), else the tag. */
export function manifestReference(ref: ImageReference): string {
  // parseImageReference guarantees one of the two.
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The registry's host without port or IPv6 brackets: "127.0.0.1", "::1", "registry.example.com". */
export function registryHost(registry: string): string {
  if (registry.startsWith('[')) {
    const close = registry.indexOf(']');
    return registry.slice(1, close < 0 ? undefined : close);
  }
  const colon = registry.indexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

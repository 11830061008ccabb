// The Kubernetes naming rules (apimachinery's validation package), so that a
// name Skiff accepts is one Kubernetes would accept too and manifests move
// between the two unchanged.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const PORT_NAME_CHARS = /^[-a-z0-9]+$/;
const HAS_LETTER = /[a-z]/;

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const LABEL_VALUE_MAX_LENGTH = 63;

/** Namespace and container names: "my-app", at most 63 characters. */
export function isDns1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX_LENGTH && DNS1123_LABEL.test(value);
}

/** Names of most objects: "my-app.v2", at most 253 characters. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= DNS1123_SUBDOMAIN_MAX_LENGTH && DNS1123_SUBDOMAIN.test(value);
}

/** Service names: like a DNS-1123 label but starting with a letter, since they become DNS names. */
export function isDns1035Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX_LENGTH && DNS1035_LABEL.test(value);
}

/**
 * A label (or annotation) key: an optional DNS-1123 subdomain prefix and "/",
 * then a name of at most 63 characters from [A-Za-z0-9-_.] that starts and ends
 * alphanumeric.
 */
export function isValidLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.length === 2 ? parts[1] : parts[0];
  if (parts.length === 2 && !isDns1123Subdomain(parts[0] ?? '')) return false;
  return name !== undefined && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/** A label value: empty, or at most 63 characters from [A-Za-z0-9-_.] that start and end alphanumeric. */
export function isValidLabelValue(value: string): boolean {
  return value === '' || (value.length <= LABEL_VALUE_MAX_LENGTH && QUALIFIED_NAME_PART.test(value));
}

/** A ConfigMap or Secret key: becomes a file name when mounted, hence no "/" and no "." or "..". */
export function isConfigKey(key: string): boolean {
  return key.length <= DNS1123_SUBDOMAIN_MAX_LENGTH && CONFIG_KEY.test(key) && key !== '.' && key !== '..';
}

/** An environment variable name as Kubernetes accepts it: no "=" and not starting with a digit. */
export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

/**
 * A named port (IANA service name): at most 15 lowercase alphanumerics and "-",
 * with at least one letter, no "--", not starting or ending with "-".
 */
export function isPortName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= 15 &&
    PORT_NAME_CHARS.test(name) &&
    HAS_LETTER.test(name) &&
    !name.includes('--') &&
    !name.startsWith('-') &&
    !name.endsWith('-')
  );
}

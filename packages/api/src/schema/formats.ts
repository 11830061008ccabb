// The string formats of Skiff's schemas. Each pairs a check with the sentence
// a user sees when it fails, so the two cannot drift apart.
import {
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  isConfigKey,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isEnvVarName,
  isPortName,
  isValidLabelKey,
  isValidLabelValue,
} from '../names.js';
import { isQuantity } from '../quantity.js';

export interface FormatDefinition {
  readonly validate: (value: string) => boolean;
  /** What a valid value looks like; `value` is the rejected one, for a sharper sentence where it helps. */
  readonly message: (value: string) => string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PERCENT = /^[0-9]+%$/;

const LABEL_NAME_RULE = 'at most 63 characters (A-Z, a-z, 0-9, "-", "_" and "."), starting and ending alphanumeric';

function tooLong(value: string, max: number): string | undefined {
  return value.length > max ? `must be no more than ${max} characters (it is ${value.length})` : undefined;
}

export const FORMATS: Readonly<Record<string, FormatDefinition>> = {
  quantity: {
    validate: isQuantity,
    message: () => 'must be a quantity like 250m or 128Mi',
  },
  'dns1123-subdomain': {
    validate: isDns1123Subdomain,
    message: (v) =>
      tooLong(v, DNS1123_SUBDOMAIN_MAX_LENGTH) ??
      'must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".", starting and ending alphanumeric), e.g. "my-app"',
  },
  'dns1123-label': {
    validate: isDns1123Label,
    message: (v) =>
      tooLong(v, 63) ??
      'must be a lowercase RFC 1123 label (a-z, 0-9 and "-", starting and ending alphanumeric, at most 63 characters), e.g. "my-app"',
  },
  'dns1035-label': {
    validate: isDns1035Label,
    message: (v) =>
      tooLong(v, 63) ??
      'must be a lowercase RFC 1035 label (a-z, 0-9 and "-", starting with a letter and ending alphanumeric, at most 63 characters), e.g. "my-service"',
  },
  'label-key': {
    validate: isValidLabelKey,
    message: () =>
      `must be a valid label key: an optional DNS subdomain prefix and "/", then a name of ${LABEL_NAME_RULE}, e.g. "app.kubernetes.io/name"`,
  },
  'label-key-or-empty': {
    validate: (v) => v === '' || isValidLabelKey(v),
    message: () =>
      `must be empty or a valid label key: an optional DNS subdomain prefix and "/", then a name of ${LABEL_NAME_RULE}`,
  },
  'label-value': {
    validate: isValidLabelValue,
    message: () => `must be a valid label value: empty, or ${LABEL_NAME_RULE}`,
  },
  'config-key': {
    validate: isConfigKey,
    message: (v) =>
      tooLong(v, DNS1123_SUBDOMAIN_MAX_LENGTH) ?? 'must be a valid config key (A-Z, a-z, 0-9, "-", "_" and "."), e.g. "app.properties"',
  },
  base64: {
    // Go's decoder, and so kubectl, skips line breaks: wrapped base64 pasted from `base64` output is fine.
    validate: (v) => BASE64.test(v.replace(/\r?\n/g, '')),
    message: () => 'must be base64-encoded (put plain text under stringData instead)',
  },
  'port-name': {
    validate: isPortName,
    message: () =>
      'must be a port name: at most 15 characters (a-z, 0-9 and "-"), with at least one letter, no "--", not starting or ending with "-"',
  },
  'env-name': {
    validate: isEnvVarName,
    message: () => 'must be an environment variable name (A-Z, a-z, 0-9, "_", "-" and ".", not starting with a digit)',
  },
  // RBAC object names (and roleRef names) only become one segment of a path, so
  // Kubernetes allows "system:controller:x" there.
  'path-segment': {
    validate: (v) => v !== '' && v !== '.' && v !== '..' && !/[/%]/.test(v),
    message: (v) => (v === '' ? 'must not be empty' : 'must not be "." or "..", nor contain "/" or "%", e.g. "pod-reader" or "team:viewer"'),
  },
  percent: {
    validate: (v) => PERCENT.test(v),
    message: () => 'must be a non-negative integer or a percentage like 25%',
  },
};

// Kubernetes resource quantities ("250m", "1", "128Mi", "1G", "1e3"), held as an
// exact fraction so that "0.1" + "0.2" cpu never drifts the way floats do and
// the scheduler's sums agree with what the user wrote.

/** A non-negative quantity: exactly `numerator / denominator` base units (cores, bytes…). */
export interface Quantity {
  readonly numerator: bigint;
  /** Always a power of ten, at least 1. */
  readonly denominator: bigint;
  /** The spelling it was parsed from ("250m", "1Gi", "0.5"); String(n) for a number. */
  readonly text: string;
}

const BINARY_SUFFIXES: ReadonlyMap<string, bigint> = new Map([
  ['Ki', 1n << 10n],
  ['Mi', 1n << 20n],
  ['Gi', 1n << 30n],
  ['Ti', 1n << 40n],
  ['Pi', 1n << 50n],
  ['Ei', 1n << 60n],
]);

/** Decimal SI suffixes as powers of ten. */
const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);

// The exponent form would otherwise let a ten-byte manifest value like
// "1e999999999" allocate a gigantic bigint; real quantities never come close.
const MAX_EXPONENT = 100;
const MAX_DIGITS = 64;

const QUANTITY_RE = /^\+?(\d*)(?:\.(\d*))?(?:([eE])([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Parses a quantity; undefined when malformed or negative. */
export function parseQuantity(input: string | number): Quantity | undefined {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return undefined;
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return undefined;
  }
  const match = QUANTITY_RE.exec(text);
  if (!match) return undefined;
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  if (whole === '' && fraction === '') return undefined;
  if (whole.length + fraction.length > MAX_DIGITS) return undefined;

  let exponent = -fraction.length;
  let multiplier = 1n;
  if (match[3] !== undefined) {
    const e = Number(match[4]);
    if (!Number.isSafeInteger(e) || Math.abs(e) > MAX_EXPONENT) return undefined;
    exponent += e;
  } else {
    const suffix = match[5] ?? '';
    const binary = BINARY_SUFFIXES.get(suffix);
    if (binary !== undefined) multiplier = binary;
    else exponent += DECIMAL_SUFFIXES.get(suffix) ?? 0;
  }

  let numerator = BigInt(whole + fraction || '0') * multiplier;
  let denominator = 1n;
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator = 10n ** BigInt(-exponent);
  // Keep fractions small so comparisons and sums stay cheap.
  while (denominator > 1n && numerator % 10n === 0n) {
    numerator /= 10n;
    denominator /= 10n;
  }
  return { numerator, denominator, text };
}

/** True for a string or number that parses as a non-negative quantity. */
export function isQuantity(input: unknown): input is string | number {
  return (typeof input === 'string' || typeof input === 'number') && parseQuantity(input) !== undefined;
}

function toQuantity(q: Quantity | string | number): Quantity {
  if (typeof q === 'object') return q;
  const parsed = parseQuantity(q);
  if (!parsed) throw new RangeError(`not a quantity: ${JSON.stringify(q)}`);
  return parsed;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity | string | number, b: Quantity | string | number): -1 | 0 | 1 {
  const x = toQuantity(a);
  const y = toQuantity(b);
  const left = x.numerator * y.denominator;
  const right = y.numerator * x.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Whole millicores, rounded up like Kubernetes' MilliValue: "1.0001" is 1001,
 * so a request never rounds down below what was asked for. Throws RangeError
 * for a malformed string.
 */
export function cpuMillis(q: Quantity | string | number): number {
  const x = toQuantity(q);
  return Number(ceilDiv(x.numerator * 1000n, x.denominator));
}

/** Whole bytes, rounded up. Throws RangeError for a malformed string. */
export function memoryBytes(q: Quantity | string | number): number {
  const x = toQuantity(q);
  return Number(ceilDiv(x.numerator, x.denominator));
}

/** 250 → "250m", 2000 → "2". */
export function formatCpu(millis: number | bigint): string {
  const m = toWhole(millis);
  return m % 1000n === 0n ? String(m / 1000n) : `${m}m`;
}

const BINARY_DESCENDING = [...BINARY_SUFFIXES.entries()].reverse();
const DECIMAL_DESCENDING: [string, bigint][] = [
  ['E', 10n ** 18n],
  ['P', 10n ** 15n],
  ['T', 10n ** 12n],
  ['G', 10n ** 9n],
  ['M', 10n ** 6n],
  ['k', 10n ** 3n],
];

/** 134217728 → "128Mi", 1e9 → "1G", 1500 → "1500": the largest suffix that divides exactly. */
export function formatMemory(bytes: number | bigint): string {
  const b = toWhole(bytes);
  if (b === 0n) return '0';
  for (const [suffix, size] of BINARY_DESCENDING) {
    if (b % size === 0n) return `${b / size}${suffix}`;
  }
  for (const [suffix, size] of DECIMAL_DESCENDING) {
    if (b % size === 0n) return `${b / size}${suffix}`;
  }
  return String(b);
}

function toWhole(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  return BigInt(Math.ceil(n));
}

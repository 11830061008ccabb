// How long certificates live and when they are renewed: at 2/3 of their
// lifetime, so that the last third is the margin for a renewal that fails and
// is retried. Validity starts a little before issuance (a tenth of the
// lifetime, at most five minutes) so that hosts whose clocks run slightly
// behind the control plane's accept a certificate issued just now.
import { certificateInfo } from '@skiff/api/x509';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export const CA_LIFETIME_MS = 3650 * DAY_MS;
/** Serving, control-plane client and user certificates. */
export const LEAF_LIFETIME_MS = 365 * DAY_MS;
/** Node certificates (`--node-cert-ttl`). */
export const DEFAULT_NODE_CERT_TTL_MS = 30 * DAY_MS;
export const MAX_BACKDATE_MS = 5 * MINUTE_MS;
const RENEW_AT_FRACTION = 2 / 3;

/** The validity window of a certificate issued at `now` to be usable for `ttlMs`. */
export function validityFor(now: Date, ttlMs: number): { notBefore: Date; notAfter: Date } {
  const backdate = Math.min(MAX_BACKDATE_MS, Math.floor(ttlMs / 10));
  return { notBefore: new Date(now.getTime() - backdate), notAfter: new Date(now.getTime() + ttlMs) };
}

/** When a certificate is due for renewal: 2/3 of the way from notBefore to notAfter. */
export function renewalTime(certPem: string): Date {
  const { notBefore, notAfter } = certificateInfo(certPem);
  return new Date(notBefore.getTime() + Math.floor((notAfter.getTime() - notBefore.getTime()) * RENEW_AT_FRACTION));
}

/** Milliseconds from `now` until the certificate is due for renewal; 0 when it already is. */
export function renewalDelay(certPem: string, now: Date): number {
  return Math.max(0, renewalTime(certPem).getTime() - now.getTime());
}

/** Whether the certificate should be replaced now: less than 1/3 of its lifetime is left, or it is not valid yet. */
export function renewalDue(certPem: string, now: Date): boolean {
  return now.getTime() < certificateInfo(certPem).notBefore.getTime() || renewalDelay(certPem, now) === 0;
}

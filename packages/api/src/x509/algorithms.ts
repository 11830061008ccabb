// The one key and signature algorithm Skiff issues and accepts. Apart from
// peculiar.ts so that code reading keys (keys.ts, facts.ts) does not load
// @peculiar/x509.

/** ECDSA P-256 with SHA-256: the one signature algorithm Skiff issues and accepts. */
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

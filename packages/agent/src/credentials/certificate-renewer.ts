// Keeps the node certificate current: at 2/3 of its lifetime (and when a call
// is refused because it expired) the agent sends a CSR for a fresh key over
// its current mTLS channel, saves the new pair, and hands it to whoever holds
// channels (onRenewed). Failures are retried with the nodeSession back-off
// until the certificate expires; an expired certificate the control plane no
// longer takes is replaced by joining again, when the agent still has a token.
import { status } from '@grpc/grpc-js';
import { BACKOFF, Backoff, grpcCodeOf, type NodeApiClient } from '@skiff/api/core';
import { certificateFacts } from '@skiff/api/x509/facts';
import type { Logger } from 'pino';
import { detailsOf, unary } from '../grpc-call.js';
import { nodeCsr } from './join.js';
import { checkNodeCredentials, pkiDir, saveNodeCredentials, type NodeCredentials } from './node-credentials.js';

/** Time, injectable so tests can move it. */
export interface Clock {
  now(): number;
  /** Runs `callback` after `ms`; the result cancels it. */
  setTimeout(callback: () => void, ms: number): () => void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Longest single wait: Node's timers overflow past 2^31 ms (24.8 days), and a suspended host's clock jumps. */
const MAX_WAIT_MS = 60 * 60 * 1000;

export interface CertificateRenewerOptions {
  readonly stateDir: string;
  readonly nodeName: string;
  /** Hosts the agent serves on (the certificate's SANs). */
  readonly addresses: readonly string[];
  readonly credentials: NodeCredentials;
  /** The current mTLS client (looked up per call). */
  readonly client: () => NodeApiClient;
  /** New credentials, saved: recreate the channels and the serving certificate. */
  readonly onRenewed: (credentials: NodeCredentials) => void;
  /** Joins again with the token, when the agent has one: the way out of an expired certificate. */
  readonly rejoin?: () => Promise<NodeCredentials>;
  readonly log: Logger;
  readonly clock?: Clock;
}

export class CertificateRenewer {
  private current: NodeCredentials;
  private cancelTimer?: () => void;
  private inFlight?: Promise<NodeCredentials>;
  private stopped = false;
  private refusalLogged = false;
  private readonly backoff = new Backoff(BACKOFF.nodeSession);
  private readonly clock: Clock;

  constructor(private readonly options: CertificateRenewerOptions) {
    this.current = options.credentials;
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  get credentials(): NodeCredentials {
    return this.current;
  }

  /** When the current certificate is due for renewal (ms since the epoch): 2/3 into its lifetime. */
  get renewAt(): number {
    const { notBefore, notAfter } = certificateFacts(this.current.certPem);
    return notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3;
  }

  /** Schedules renewals; with `renewNow`, the first one straight away (retried until it succeeds). */
  start(renewNow?: string): void {
    this.stopped = false;
    if (renewNow !== undefined) this.wait(0, renewNow);
    else this.wait(this.renewAt - this.clock.now());
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
  }

  /** Renews now (one renewal at a time: a second caller shares the first's). */
  renew(reason: string): Promise<NodeCredentials> {
    this.inFlight ??= this.renewOnce(reason).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /**
   * A call with the node certificate came back UNAUTHENTICATED. Past its
   * renewal time (expired, or the host slept through it) the agent renews at
   * once; otherwise the certificate was revoked, which only an operator undoes.
   */
  refused(error: unknown): void {
    if (grpcCodeOf(error) !== status.UNAUTHENTICATED) return;
    if (this.clock.now() >= this.renewAt) {
      this.renew('refused as expired').catch((e: unknown) => this.options.log.warn({ err: detailsOf(e) }, 'certificate renewal failed'));
      return;
    }
    if (this.refusalLogged) return;
    this.refusalLogged = true;
    const { serialHex } = certificateFacts(this.current.certPem);
    this.options.log.error(
      { serial: serialHex, reason: detailsOf(error) },
      `the control plane refuses this node's certificate: it was revoked (the node or the token it joined with was deleted); ` +
        `to join again, stop the agent, remove ${pkiDir(this.options.stateDir)} and start it with --token (create one with \`skiff-controlplane token create\`)`,
    );
  }

  /** Checks again in `ms` (at most an hour); `forced` renews then whatever the time. */
  private wait(ms: number, forced?: string): void {
    this.cancelTimer?.();
    if (this.stopped) return;
    this.cancelTimer = this.clock.setTimeout(() => void this.tick(forced), Math.min(Math.max(ms, 0), MAX_WAIT_MS));
  }

  private async tick(forced: string | undefined): Promise<void> {
    const dueIn = this.renewAt - this.clock.now();
    if (forced === undefined && dueIn > 0) return this.wait(dueIn);
    try {
      await this.renew(forced ?? '2/3 of its lifetime passed');
      this.backoff.reset();
      this.wait(this.renewAt - this.clock.now());
    } catch (error) {
      const waitMs = this.backoff.next();
      const { notAfter } = certificateFacts(this.current.certPem);
      this.options.log.warn({ err: detailsOf(error), waitMs, expires: notAfter.toISOString() }, `certificate renewal failed; retrying in ${waitMs} ms`);
      this.wait(waitMs, forced);
    }
  }

  private async renewOnce(reason: string): Promise<NodeCredentials> {
    const { keys, csrPem } = await nodeCsr(this.options.nodeName);
    let renewed: NodeCredentials;
    try {
      const response = await unary<{ certificate_pem: string }>((callback, callOptions) =>
        this.options.client().RenewCertificate({ csr_pem: csrPem, addresses: [...this.options.addresses] }, callOptions, callback),
      );
      renewed = { caPem: this.current.caPem, keyPem: keys.privateKeyPem, certPem: response.certificate_pem };
    } catch (error) {
      const expired = this.clock.now() >= certificateFacts(this.current.certPem).notAfter.getTime();
      if (!(expired && this.options.rejoin && grpcCodeOf(error) === status.UNAUTHENTICATED)) throw error;
      this.options.log.warn({ err: detailsOf(error) }, 'the node certificate expired and cannot be renewed; joining again with the token');
      renewed = await this.options.rejoin();
    }
    checkNodeCredentials(renewed, this.options.nodeName);
    await saveNodeCredentials(this.options.stateDir, renewed);
    this.current = renewed;
    this.refusalLogged = false;
    const info = certificateFacts(renewed.certPem);
    this.options.log.info({ reason, serial: info.serialHex, notAfter: info.notAfter.toISOString() }, 'node certificate renewed');
    this.options.onRenewed(renewed);
    return renewed;
  }
}

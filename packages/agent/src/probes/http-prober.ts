// An httpGet probe (or hook): GET scheme://host:port/path from the agent, which
// sits in the node's network namespace and routes to its pods' IPs over the pod
// bridge, as kubelet does from the host. Host defaults to the pod's IP; HTTPS
// does not verify the certificate (kubelet's InsecureSkipVerify); httpHeaders
// are sent as given (a "Host" header sets the request's host). A status in
// 200–399 is a success. Redirects are not followed: a 3xx counts as success
// (kubelet follows only redirects to the same host and also calls a redirect
// elsewhere a success). node:http, not fetch: fetch can neither skip TLS
// verification per request nor send an arbitrary Host header.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { messageOf, type HttpGetAction } from '@skiff/api/core';
import { failed, OutputBuffer, resolvePort, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';

/** kubelet's User-Agent, with the Kubernetes minor version Skiff follows. */
export const PROBE_USER_AGENT = 'kube-probe/1.32';

export interface HttpProbeOptions {
  /** Whole request, connect to end of headers; undefined: no limit. */
  readonly timeoutMs: number | undefined;
  /** A lifecycle hook's GET succeeds on any answer (kubelet looks only for a transport error). */
  readonly anyStatus?: boolean;
}

export function httpProbeUrl(action: HttpGetAction, target: ProbeTarget): string | ProbeOutcome {
  const port = resolvePort(action.port, target);
  if (typeof port !== 'number') return port;
  const host = action.host && action.host !== '' ? action.host : target.podIP;
  if (host === '') return failed('the pod has no IP to probe yet');
  const path = action.path && action.path !== '' ? (action.path.startsWith('/') ? action.path : `/${action.path}`) : '/';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `${(action.scheme ?? 'HTTP').toLowerCase()}://${hostPart}:${String(port)}${path}`;
}

export async function httpProbe(action: HttpGetAction, target: ProbeTarget, options: HttpProbeOptions): Promise<ProbeOutcome> {
  const url = httpProbeUrl(action, target);
  if (typeof url !== 'string') return url;
  const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const header of action.httpHeaders ?? []) headers[header.name] = header.value;
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  const transportFailure = (error: unknown): ProbeOutcome => failed(`Get ${JSON.stringify(url)}: ${messageOf(error)}`);
  return new Promise<ProbeOutcome>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let req: ClientRequest | undefined;
    let settled = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(outcome);
    };
    const answered = (response: IncomingMessage): void => {
      const status = response.statusCode ?? 0;
      const body = new OutputBuffer();
      const decide = (): void => {
        if (options.anyStatus || (status >= 200 && status < 400)) finish({ ok: true, output: body.text() });
        else finish(failed(`HTTP probe failed with statuscode: ${String(status)}`));
      };
      // As kubelet, the body is read up to MAX_PROBE_OUTPUT: an endless one does not hold the verdict back.
      response.on('data', (chunk: Buffer) => (body.add(chunk) ? undefined : decide()));
      response.on('error', (error) => finish(transportFailure(error)));
      response.on('end', decide);
    };
    try {
      req = request(url, { method: 'GET', headers, rejectUnauthorized: false, agent: false }, answered);
    } catch (error) {
      finish(transportFailure(error));
      return;
    }
    req.on('error', (error) => finish(transportFailure(error)));
    if (options.timeoutMs !== undefined) timer = setTimeout(() => finish(failed(`Get ${JSON.stringify(url)}: timed out after ${String(options.timeoutMs)}ms`)), options.timeoutMs);
    req.end();
  });
}

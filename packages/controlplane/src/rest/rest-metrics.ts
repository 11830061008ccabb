// Request counts and latencies of the Kubernetes REST door, for /metrics,
// under kube-apiserver's names and labels so its dashboards and alerts read
// them: apiserver_request_total{verb, group, version, resource, subresource,
// code} and apiserver_request_duration_seconds{verb, group, version, resource,
// subresource}. verb is kube-apiserver's cleaned verb: the HTTP method, but
// LIST and WATCH for reads of a collection, APPLY for server-side apply.
// Paths that name no resource (discovery, OpenAPI, access reviews) have empty
// resource labels; a watch's duration is how long the stream stayed open.
import { APPLY_PATCH } from '@skiff/api';
import { Counter, Histogram, type Registry as MetricsRegistry } from 'prom-client';
import { mediaTypeOf } from './http-io.js';
import { isWatch, parseResourcePath, verbOf } from './request-info.js';

export interface RestRequestLabels {
  readonly verb: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string;
}

export interface RestMetrics {
  /** Starts timing a request; call the result with the HTTP status it was answered with. */
  start(labels: RestRequestLabels): (code: number) => void;
}

/** The labels of one request, from its method, URL and Content-Type. */
export function requestLabelsOf(method: string, url: URL, contentType: string | undefined): RestRequestLabels {
  const parsed = parseResourcePath(url.pathname);
  if (parsed.type !== 'resource') return { verb: method, group: '', version: '', resource: '', subresource: '' };
  const { request } = parsed;
  const verb = verbOf(method, request, isWatch(url.searchParams));
  const cleaned =
    verb === 'list' ? 'LIST' : verb === 'watch' ? 'WATCH' : method === 'PATCH' && mediaTypeOf(contentType) === APPLY_PATCH ? 'APPLY' : method === 'HEAD' ? 'GET' : method;
  const slash = request.info.apiVersion.indexOf('/');
  return {
    verb: cleaned,
    group: slash < 0 ? '' : request.info.apiVersion.slice(0, slash),
    version: slash < 0 ? request.info.apiVersion : request.info.apiVersion.slice(slash + 1),
    resource: request.info.plural,
    subresource: request.subresource ?? '',
  };
}

export function createRestMetrics(metrics: MetricsRegistry): RestMetrics {
  const labelNames = ['verb', 'group', 'version', 'resource', 'subresource'] as const;
  const requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Kubernetes REST requests by verb, group, version, resource, subresource and HTTP response code.',
    labelNames: [...labelNames, 'code'] as const,
    registers: [metrics],
  });
  const duration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Kubernetes REST request latency by verb, group, version, resource and subresource (for WATCH: how long the stream stayed open).',
    labelNames,
    buckets: [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
    registers: [metrics],
  });
  return {
    start(labels) {
      const stop = duration.startTimer({ ...labels });
      return (code) => {
        stop();
        requests.inc({ ...labels, code: String(code) });
      };
    },
  };
}

// Request counts and latencies per gRPC method, for /metrics.
import { status } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry as MetricsRegistry } from 'prom-client';

export interface ApiMetrics {
  /** Starts timing a request; call the result with the final status code. */
  start(method: string): (code: status) => void;
}

export function createApiMetrics(metrics: MetricsRegistry): ApiMetrics {
  const requests = new Counter({
    name: 'skiff_api_requests_total',
    help: 'gRPC API requests by method and final status code.',
    labelNames: ['method', 'code'] as const,
    registers: [metrics],
  });
  const duration = new Histogram({
    name: 'skiff_api_request_duration_seconds',
    help: 'gRPC API request latency by method (for Watch: how long the stream stayed open).',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
  });
  return {
    start(method) {
      const stop = duration.startTimer({ method });
      return (code) => {
        stop();
        requests.inc({ method, code: status[code] ?? String(code) });
      };
    },
  };
}

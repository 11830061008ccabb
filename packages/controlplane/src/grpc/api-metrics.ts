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
  // prom-client resolves label values to a series on every call; the children are
  // looked up once per method (and code) instead: this runs on every heartbeat.
  // A child's observe() is given the seconds directly: its startTimer() takes two
  // process.hrtime() arrays, two closures and a merged copy of the labels per call.
  const timers = new Map<string, Histogram.Internal<'method'>>();
  const counters = new Map<string, Counter.Internal>();
  const counterOf = (method: string, code: status): Counter.Internal => {
    const key = `${method} ${code}`;
    let counter = counters.get(key);
    if (!counter) counters.set(key, (counter = requests.labels({ method, code: status[code] ?? String(code) })));
    return counter;
  };
  return {
    start(method) {
      let timer = timers.get(method);
      if (!timer) timers.set(method, (timer = duration.labels({ method })));
      const child = timer;
      const started = performance.now();
      return (code) => {
        child.observe((performance.now() - started) / 1000);
        counterOf(method, code).inc();
      };
    },
  };
}

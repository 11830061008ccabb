import { status } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createApiMetrics } from './api-metrics.js';

describe('createApiMetrics', () => {
  it('counts requests by method and code and times them by method', async () => {
    const registry = new Registry();
    const metrics = createApiMetrics(registry);
    metrics.start('Heartbeat')(status.OK);
    metrics.start('Heartbeat')(status.OK);
    metrics.start('Heartbeat')(status.NOT_FOUND);
    metrics.start('Apply')(status.OK);
    const text = await registry.metrics();
    expect(text).toContain('skiff_api_requests_total{method="Heartbeat",code="OK"} 2');
    expect(text).toContain('skiff_api_requests_total{method="Heartbeat",code="NOT_FOUND"} 1');
    expect(text).toContain('skiff_api_requests_total{method="Apply",code="OK"} 1');
    expect(text).toContain('skiff_api_request_duration_seconds_count{method="Heartbeat"} 3');
    expect(text).toContain('skiff_api_request_duration_seconds_count{method="Apply"} 1');
  });

  it('records how long a request took, in seconds', async () => {
    const registry = new Registry();
    const metrics = createApiMetrics(registry);
    const done = metrics.start('Apply');
    const began = performance.now();
    // Let at least 20 ms pass (polling, not sleeping a fixed time), then finish the request.
    while (performance.now() - began < 20) await new Promise((resolve) => setImmediate(resolve));
    done(status.OK);
    const text = await registry.metrics();
    const sum = Number(/skiff_api_request_duration_seconds_sum\{method="Apply"\} (\S+)/.exec(text)?.[1]);
    expect(sum).toBeGreaterThanOrEqual(0.02);
    expect(sum).toBeLessThan(60);
    expect(text).toContain('skiff_api_request_duration_seconds_bucket{le="0.01",method="Apply"} 0');
  });
});

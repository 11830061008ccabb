import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRestMetrics, requestLabelsOf } from './rest-metrics.js';

const url = (path: string) => new URL(path, 'https://skiff.invalid');

describe('requestLabelsOf', () => {
  it("names kube-apiserver's cleaned verb, the group, version, resource and subresource", () => {
    expect(requestLabelsOf('GET', url('/api/v1/namespaces/default/pods'), undefined)).toEqual({ verb: 'LIST', group: '', version: 'v1', resource: 'pods', subresource: '' });
    expect(requestLabelsOf('GET', url('/apis/apps/v1/deployments?watch=true'), undefined)).toEqual({ verb: 'WATCH', group: 'apps', version: 'v1', resource: 'deployments', subresource: '' });
    expect(requestLabelsOf('GET', url('/api/v1/namespaces/default/pods/web'), undefined)).toMatchObject({ verb: 'GET', resource: 'pods' });
    expect(requestLabelsOf('GET', url('/api/v1/namespaces/default/pods/web/log'), undefined)).toMatchObject({ verb: 'GET', resource: 'pods', subresource: 'log' });
    expect(requestLabelsOf('PATCH', url('/apis/apps/v1/namespaces/shop/deployments/web/scale'), 'application/merge-patch+json')).toEqual({ verb: 'PATCH', group: 'apps', version: 'v1', resource: 'deployments', subresource: 'scale' });
    expect(requestLabelsOf('PATCH', url('/api/v1/namespaces/default/configmaps/c'), 'application/apply-patch+yaml; charset=utf-8')).toMatchObject({ verb: 'APPLY', resource: 'configmaps' });
    expect(requestLabelsOf('DELETE', url('/api/v1/namespaces/default/configmaps'), undefined)).toMatchObject({ verb: 'DELETE', resource: 'configmaps' });
  });

  it('leaves the resource labels empty where the path names no resource', () => {
    expect(requestLabelsOf('GET', url('/apis'), undefined)).toEqual({ verb: 'GET', group: '', version: '', resource: '', subresource: '' });
    expect(requestLabelsOf('GET', url('/api/v1/namespaces/default/nonsense'), undefined)).toMatchObject({ resource: '' });
  });
});

describe('createRestMetrics', () => {
  it('counts each answered request by its code and times it', async () => {
    const registry = new Registry();
    const metrics = createRestMetrics(registry);
    const labels = requestLabelsOf('POST', url('/api/v1/namespaces/default/configmaps'), 'application/json');
    metrics.start(labels)(201);
    metrics.start(labels)(201);
    metrics.start(labels)(409);
    const text = await registry.metrics();
    expect(text).toContain('apiserver_request_total{verb="POST",group="",version="v1",resource="configmaps",subresource="",code="201"} 2');
    expect(text).toContain('apiserver_request_total{verb="POST",group="",version="v1",resource="configmaps",subresource="",code="409"} 1');
    expect(text).toContain('apiserver_request_duration_seconds_count{verb="POST",group="",version="v1",resource="configmaps",subresource=""} 3');
  });
});

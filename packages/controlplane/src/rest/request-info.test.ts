import { describe, expect, it } from 'vitest';
import { isWatch, parseResourcePath, requestAttributes, verbOf, type ResourceRequest } from './request-info.js';

function resource(path: string): ResourceRequest {
  const parsed = parseResourcePath(path);
  if (parsed.type !== 'resource') throw new Error(`${path}: ${parsed.type}`);
  return parsed.request;
}

describe('request attributes from a REST path', () => {
  it('reads a namespaced object and its subresource', () => {
    const request = resource('/api/v1/namespaces/shop/pods/web/log');
    expect(requestAttributes('get', request)).toEqual({ verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'shop', name: 'web' });
  });

  it('reads a named group, a collection, and a collection across namespaces', () => {
    expect(requestAttributes('list', resource('/apis/apps/v1/namespaces/shop/deployments'))).toEqual({ verb: 'list', apiGroup: 'apps', resource: 'deployments', namespace: 'shop' });
    expect(requestAttributes('list', resource('/apis/apps/v1/deployments'))).toEqual({ verb: 'list', apiGroup: 'apps', resource: 'deployments' });
  });

  it('tells a namespace itself from resources inside it', () => {
    expect(requestAttributes('get', resource('/api/v1/namespaces/shop'))).toEqual({ verb: 'get', apiGroup: '', resource: 'namespaces', name: 'shop' });
    expect(requestAttributes('get', resource('/api/v1/namespaces/shop/status'))).toEqual({ verb: 'get', apiGroup: '', resource: 'namespaces', name: 'shop', subresource: 'status' });
  });

  it('drops the namespace of a cluster-scoped kind', () => {
    expect(resource('/api/v1/namespaces/shop/nodes/n1').namespace).toBeUndefined();
  });

  it('answers unknown resources and non-resource paths apart', () => {
    expect(parseResourcePath('/api/v1/namespaces/shop/widgets')).toMatchObject({ type: 'unknown-resource', resource: 'widgets' });
    expect(parseResourcePath('/apis/apps/v2/deployments')).toEqual({ type: 'other' });
    expect(parseResourcePath('/healthz')).toEqual({ type: 'other' });
  });

  it('maps methods to verbs as kube-apiserver does', () => {
    const collection = resource('/api/v1/namespaces/shop/pods');
    const object = resource('/api/v1/namespaces/shop/pods/web');
    expect(verbOf('GET', collection, false)).toBe('list');
    expect(verbOf('GET', collection, true)).toBe('watch');
    expect(verbOf('GET', object, false)).toBe('get');
    expect(verbOf('POST', collection, false)).toBe('create');
    expect(verbOf('PUT', object, false)).toBe('update');
    expect(verbOf('PATCH', object, false)).toBe('patch');
    expect(verbOf('DELETE', object, false)).toBe('delete');
    expect(verbOf('DELETE', collection, false)).toBe('deletecollection');
    expect(verbOf('OPTIONS', object, false)).toBeUndefined();
    expect(isWatch(new URLSearchParams('watch=true'))).toBe(true);
    expect(isWatch(new URLSearchParams('watch=false'))).toBe(false);
  });
});

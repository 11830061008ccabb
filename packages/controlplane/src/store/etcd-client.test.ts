import { InvalidError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { tlsCredentials } from './etcd-client.js';

const tls = { caPem: 'CA', certPem: 'CERT', keyPem: 'KEY' };

describe('tlsCredentials', () => {
  it('gives etcd3 the CA, certificate and key for https endpoints, nothing for http ones', () => {
    expect(tlsCredentials(['https://127.0.0.1:2379', 'https://127.0.0.2:2379'], tls)).toEqual({
      rootCertificate: Buffer.from('CA'),
      certChain: Buffer.from('CERT'),
      privateKey: Buffer.from('KEY'),
    });
    expect(tlsCredentials(['http://127.0.0.1:2379', '127.0.0.1:2380'], undefined)).toBeUndefined();
  });

  it('refuses a mix of schemes, https without credentials, and credentials for http', () => {
    expect(() => tlsCredentials(['https://a:1', 'http://b:1'], tls)).toThrow(InvalidError);
    expect(() => tlsCredentials(['https://a:1'], undefined)).toThrow('https needs a CA and a client certificate');
    expect(() => tlsCredentials(['http://a:1'], tls)).toThrow('use https:// URLs');
  });
});

import { status } from '@grpc/grpc-js';
import { freePort, rejectionOf } from '@skiff/testkit';
import { describe, expect, it } from 'vitest';
import { SkiffClient } from './client.js';
import { ServerError } from './errors.js';

describe('SkiffClient', () => {
  it('turns a refused connection into the unreachable message, naming the server', async () => {
    const server = `127.0.0.1:${await freePort()}`;
    const client = new SkiffClient(server);
    try {
      const error = await rejectionOf(client.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '' }), ServerError);
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.message).toMatch(
        new RegExp(`^cannot reach the Skiff control plane at ${server.replaceAll('.', '\\.')} \\(.+\\); is it running\\? Point ctl elsewhere with --server, SKIFF_SERVER or ~/\\.skiff/config\\.yaml$`),
      );
    } finally {
      client.close();
    }
  });
});

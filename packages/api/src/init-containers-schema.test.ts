// spec.initContainers: validated like containers, names unique across both
// lists, and no probes or lifecycle hooks (an init container runs to completion).
import { describe, expect, it } from 'vitest';
import type { Pod } from './types.js';
import { formatIssue, validateManifest } from './validate.js';

const pod = (spec: Record<string, unknown>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: { containers: [{ name: 'app', image: 'busybox:1' }], ...spec },
});

describe('spec.initContainers', () => {
  it('accepts init containers and keeps them, defaulted like containers', () => {
    const result = validateManifest(pod({ initContainers: [{ name: 'migrate', image: 'busybox:1', command: ['true'], resources: { requests: { cpu: '100m' } } }] }), { strict: true });
    expect(result.errors).toEqual([]);
    expect((result.object as Pod).spec.initContainers?.[0]).toMatchObject({ name: 'migrate', image: 'busybox:1' });
  });

  it('refuses a name an app container has, bad fields by path, and probes', () => {
    const result = validateManifest(
      pod({
        initContainers: [
          { name: 'app', image: 'busybox:1' },
          { name: 'Bad_Name', image: 'busybox:1' },
          { name: 'probed', image: 'busybox:1', readinessProbe: { exec: { command: ['true'] } } },
        ],
      }),
      { strict: false },
    );
    const messages = result.errors.map(formatIssue);
    expect(messages).toContain('spec.initContainers[0].name: duplicate container name "app"');
    expect(messages.some((m) => m.startsWith('spec.initContainers[1].name:'))).toBe(true);
    expect(messages).toContain('spec.initContainers[2].readinessProbe: may not be set for init containers');
  });
});

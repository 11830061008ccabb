import { describe, expect, it } from 'vitest';
import { formatTokenTable } from './token.js';

describe('formatTokenTable', () => {
  it("prints kubeadm's columns, sorted by id, with TTLs left and markers for no expiry", () => {
    const now = new Date('2026-12-01T10:00:00Z');
    const table = formatTokenTable(
      [
        { id: 'zzzzzz', description: '', expiresAt: undefined },
        { id: 'abc123', description: 'for worker-2', expiresAt: new Date('2026-12-02T11:30:00Z') },
        { id: 'old999', description: 'stale', expiresAt: new Date('2026-11-30T00:00:00Z') },
      ],
      now,
    );
    expect(table).toBe(
      [
        'ID       TTL         EXPIRES                DESCRIPTION',
        'abc123   25h30m      2026-12-02T11:30:00Z   for worker-2',
        'old999   <expired>   2026-11-30T00:00:00Z   stale',
        'zzzzzz   <forever>   <never>                <none>',
        '',
      ].join('\n'),
    );
  });
});

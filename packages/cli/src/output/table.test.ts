import { describe, expect, it } from 'vitest';
import { renderTable } from './table.js';

describe('renderTable', () => {
  it('pads every column but the last to its widest cell, three spaces apart', () => {
    expect(
      renderTable(
        ['NAME', 'READY', 'STATUS'],
        [
          ['web-7d4b9c-x2x9q', '1/1', 'Running'],
          ['db', '0/1', 'CrashLoopBackOff'],
        ],
      ),
    ).toBe(
      [
        'NAME               READY   STATUS',
        'web-7d4b9c-x2x9q   1/1     Running',
        'db                 0/1     CrashLoopBackOff',
        '',
      ].join('\n'),
    );
  });

  it('lets a header be the widest cell of its column', () => {
    expect(renderTable(['NAMESPACE', 'NAME'], [['a', 'b']])).toBe('NAMESPACE   NAME\na           b\n');
  });

  it('leaves no trailing spaces when the last cells are empty or missing', () => {
    expect(renderTable(['A', 'MESSAGE'], [['x', ''], ['yy']])).toBe('A    MESSAGE\nx\nyy\n');
  });

  it('prints the header alone for no rows', () => {
    expect(renderTable(['NAME', 'AGE'], [])).toBe('NAME   AGE\n');
  });
});

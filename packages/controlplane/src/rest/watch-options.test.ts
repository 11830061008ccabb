import { InvalidError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { MIN_REQUEST_TIMEOUT_MS, parseWatchOptions } from './watch-options.js';

const query = (text: string) => new URLSearchParams(text);

describe('parseWatchOptions', () => {
  it('takes timeoutSeconds as asked, and picks 30 to 60 minutes when none (or 0) is named, as kube-apiserver', () => {
    expect(parseWatchOptions(query('watch=true&timeoutSeconds=7')).timeoutMs).toBe(7000);
    expect(parseWatchOptions(query('watch=true'), () => 0).timeoutMs).toBe(MIN_REQUEST_TIMEOUT_MS);
    expect(parseWatchOptions(query('watch=true&timeoutSeconds=0'), () => 0.5).timeoutMs).toBe(2_700_000);
    expect(parseWatchOptions(query('watch=true'), () => 0.999999).timeoutMs).toBeLessThan(2 * MIN_REQUEST_TIMEOUT_MS);
  });

  it('refuses a timeout that is not a whole number of seconds, naming the parameter', () => {
    for (const bad of ['-1', '1.5', 'soon']) {
      expect(() => parseWatchOptions(query(`watch=true&timeoutSeconds=${bad}`))).toThrow(InvalidError);
      expect(() => parseWatchOptions(query(`watch=true&timeoutSeconds=${bad}`))).toThrow(`timeoutSeconds: Invalid value: "${bad}"`);
    }
  });

  it('asks for the initial events only with NotOlderThan and bookmarks, as Kubernetes validates ListOptions', () => {
    expect(parseWatchOptions(query('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'))).toMatchObject({ bookmarks: true, initialEventsEnd: true });
    expect(() => parseWatchOptions(query('sendInitialEvents=true'))).toThrow('resourceVersionMatch: Forbidden');
    expect(() => parseWatchOptions(query('sendInitialEvents=true&resourceVersionMatch=NotOlderThan'))).toThrow('allowWatchBookmarks: Forbidden');
  });
});

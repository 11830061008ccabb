import { status, type ServiceError } from '@grpc/grpc-js';
import { LEADER_METADATA_KEY } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import type { LeadershipState } from '../cache/leader-election.js';
import { leaderOnly, standbyRefusal } from './leader-only.js';

describe('leader-only NodeApi calls', () => {
  it('are answered by the leader, and refused by a standby with the leader named in the message and the metadata', () => {
    let state: LeadershipState = { role: 'leader', term: 7 };
    const answers: unknown[] = [];
    const handler = leaderOnly<object, string>((_call, callback) => callback(null, 'answered'), () => state, 'heartbeats');
    handler({} as never, (error, value) => answers.push(error ?? value));
    expect(answers).toEqual(['answered']);

    state = { role: 'standby', leader: { id: 'cp-1', address: '10.0.0.1:7400', term: 9 } };
    handler({} as never, (error) => answers.push(error));
    const refusal = answers[1] as ServiceError;
    expect(refusal.code).toBe(status.UNAVAILABLE);
    expect(refusal.details).toBe('this control plane is a standby: heartbeats go to the leader, cp-1 at 10.0.0.1:7400 (term 9)');
    expect(refusal.metadata.get(LEADER_METADATA_KEY)).toEqual(['10.0.0.1:7400']);

    const leaderless = standbyRefusal({ role: 'standby' }, 'heartbeats');
    expect(leaderless?.details).toMatch(/no leader is elected yet/);
    expect(leaderless?.metadata.get(LEADER_METADATA_KEY)).toEqual([]);
  });
});

// NodeApi calls only the leader can answer (heartbeats: node liveness is held
// in the leader's memory). A standby refuses them with UNAVAILABLE, naming the
// leader in the message and giving its address in the trailing metadata
// `skiff-leader`, so the agent moves straight there (agent
// control-plane-link.ts); without a leader yet it just says so and the agent
// tries its next server. Refused before authentication: the leader's address
// is no secret (every agent has the control planes in --server).
import { Metadata, status, type handleUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { LEADER_METADATA_KEY } from '@skiff/api';
import type { LeadershipState } from '../cache/leader-election.js';

/** Why this instance cannot answer a leader-only call now, or undefined when it leads. */
export function standbyRefusal(state: LeadershipState, what: string): ServiceError | undefined {
  if (state.role === 'leader') return undefined;
  const metadata = new Metadata();
  const leader = state.leader;
  if (leader?.address) metadata.set(LEADER_METADATA_KEY, leader.address);
  const details = leader
    ? `this control plane is a standby: ${what} go to the leader, ${leader.id} at ${leader.address} (term ${leader.term})`
    : `this control plane is a standby and no leader is elected yet: ${what} go to the leader; retry shortly`;
  return Object.assign(new Error(details), { code: status.UNAVAILABLE, details, metadata });
}

/** `handler`, answered only while `state()` says this instance leads. */
export function leaderOnly<Req, Res>(handler: handleUnaryCall<Req, Res>, state: () => LeadershipState, what: string): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const refusal = standbyRefusal(state(), what);
    if (refusal) callback(refusal, null);
    else handler(call, callback);
  };
}

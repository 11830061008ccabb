// A tcpSocket probe: the connection opens within the timeout (then it is
// closed at once), from the agent to the pod's IP (or the handler's host).
import { connect } from 'node:net';
import { messageOf, type TcpSocketAction } from '@skiff/api/core';
import { failed, resolvePort, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';

export async function tcpProbe(action: TcpSocketAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(action.port, target);
  if (typeof port !== 'number') return port;
  const host = action.host && action.host !== '' ? action.host : target.podIP;
  const where = `dial tcp ${host}:${String(port)}`;
  return new Promise<ProbeOutcome>((resolve) => {
    const socket = connect({ host, port });
    const finish = (outcome: ProbeOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(failed(`${where}: i/o timeout after ${String(timeoutMs)}ms`)), timeoutMs);
    socket.once('connect', () => finish({ ok: true, output: '' }));
    socket.once('error', (error) => finish(failed(`${where}: ${messageOf(error)}`)));
  });
}

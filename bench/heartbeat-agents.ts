// The simulated agents of bench:heartbeats, in their own process so their CPU
// is not the control plane's: each joins through NodeApi.Join with the join
// token (its own key and CSR, as the real agent does), registers with its own
// node certificate over its own TLS channel, and heartbeats at the interval
// RegisterNode answers, like packages/agent/src/node-session.ts (one call, then
// the next timer). Commands on stdin, one a line: "beat on", "beat off",
// "stop NAME" (that node stops heartbeating). Answers on stdout as JSON lines.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createNodeApiClient, NODE_USER_PREFIX, NODES_GROUP, parseJoinToken, type NodeApiClient } from '@skiff/api';
import { createCsr, generateKeyPair } from '@skiff/api/x509';
import { call, mapConcurrent } from './bench-support.js';

const address = process.env['SIM_ADDRESS'] ?? '';
const caPem = readFileSync(process.env['SIM_CA_FILE'] ?? '', 'utf8');
const token = parseJoinToken(readFileSync(process.env['SIM_TOKEN_FILE'] ?? '', 'utf8'));
const count = Number(process.env['SIM_NODES'] ?? 1000);

interface SimNode {
  readonly name: string;
  readonly client: NodeApiClient;
  intervalMs: number;
  /** The lease the control plane last said it judges this node by. */
  leaseMs: number;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  lastAnsweredAt: number;
}

const say = (message: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
const nodes: SimNode[] = [];
let beating = false;
let beats = 0;
let failures = 0;

async function join(name: string): Promise<SimNode> {
  const keys = await generateKeyPair();
  const csrPem = await createCsr(keys, { commonName: `${NODE_USER_PREFIX}${name}`, organizations: [NODES_GROUP] });
  const anonymous = createNodeApiClient(address, {}, credentials.createSsl(Buffer.from(caPem)));
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token.id}.${token.secret}`);
  const joined = await call<{ certificate_pem: string }>((cb) => anonymous.Join({ node_name: name, csr_pem: csrPem, addresses: ['127.0.0.1'] }, metadata, cb));
  anonymous.close();
  const client = createNodeApiClient(address, {}, credentials.createSsl(Buffer.from(caPem), Buffer.from(keys.privateKeyPem), Buffer.from(joined.certificate_pem)));
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' }],
      nodeInfo: { runtime: 'simulated' },
    },
  };
  const registered = await call<{ heartbeat_interval_ms: number; lease_duration_ms: number }>((cb) => client.RegisterNode({ node_json: JSON.stringify(node) }, cb));
  return { name, client, intervalMs: registered.heartbeat_interval_ms || 1000, leaseMs: registered.lease_duration_ms, stopped: false, lastAnsweredAt: Date.now() };
}

function schedule(node: SimNode, delayMs: number): void {
  clearTimeout(node.timer);
  if (!beating || node.stopped) return;
  node.timer = setTimeout(() => void beat(node), delayMs);
}

async function beat(node: SimNode): Promise<void> {
  try {
    const answer = await call<{ heartbeat_interval_ms: number; lease_duration_ms: number }>((cb) => node.client.Heartbeat({ node_name: node.name }, cb));
    if (answer.heartbeat_interval_ms) node.intervalMs = answer.heartbeat_interval_ms;
    if (answer.lease_duration_ms) node.leaseMs = answer.lease_duration_ms;
    node.lastAnsweredAt = Date.now();
    beats++;
  } catch (error) {
    failures++;
    if (failures <= 5) say({ event: 'heartbeat-failed', node: node.name, error: (error as ServiceError).message });
  }
  schedule(node, node.intervalMs);
}

const names = Array.from({ length: count }, (_, i) => `hb-${String(i).padStart(4, '0')}`);
const started = Date.now();
await mapConcurrent(names, 16, async (name) => {
  nodes.push(await join(name));
});
say({ event: 'registered', nodes: nodes.length, ms: Date.now() - started, intervalMs: Math.max(...nodes.map((n) => n.intervalMs)) });

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, argument] = line.trim().split(/\s+/);
  if (verb === 'beat') {
    beating = argument === 'on';
    // Spread over one interval, as agents that started at different times are.
    for (const node of nodes) beating ? schedule(node, Math.random() * node.intervalMs) : clearTimeout(node.timer);
    say({ event: 'beat', on: beating });
  } else if (verb === 'stop') {
    const node = nodes.find((n) => n.name === argument);
    if (!node) return say({ event: 'error', message: `no node ${argument}` });
    node.stopped = true;
    clearTimeout(node.timer);
    say({ event: 'stopped', node: node.name, stoppedAt: Date.now(), lastAnsweredAt: node.lastAnsweredAt, intervalMs: node.intervalMs, leaseMs: node.leaseMs });
  } else if (verb === 'stats') {
    const cpu = process.cpuUsage();
    say({ event: 'stats', beats, failures, cpuMicros: cpu.user + cpu.system });
  } else if (verb === 'exit') {
    for (const node of nodes) {
      clearTimeout(node.timer);
      node.client.close();
    }
    process.exit(0);
  }
});
process.stdin.on('end', () => process.exit(0));

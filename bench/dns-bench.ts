// npm run bench:dns — Debian's dnsperf against Skiff's cluster DNS serving
// 1,000 Services and, in the same run, against Debian's dnsmasq serving the
// same 1,000 names from a hosts file (the reference), each on its own
// loopback address. Throughput: dnsperf at saturation (4 clients, 64 queries
// in flight) in rounds of one run each, back to back and in alternating order
// (the machine is shared: a paired ratio per round cancels its load swings);
// the ratio reported is the median of the rounds' ratios.
// Latency: dnsperf -v at a fixed 10,000 queries/s for 5 s, every answer's
// latency, p50 and p99; in the same runs each server's CPU time per query
// (utime + stime from /proc/<pid>/stat), which a busy shared machine disturbs
// far less than throughput. Prints all and the ratios Skiff ÷ dnsmasq.
// The Skiff server runs with the agent's node flags (its #! line: no
// optimizing compiler, a small young generation), as it does in an agent.
import { execFile, spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AGENT_MAIN, freePort, nodeFlagsOf, startDnsmasq, startProcess, type ManagedProcess } from '@skiff/testkit';
import { fixed, percentile } from './bench-support.js';
import { benchServices } from './dns-bench-server.js';

const run = promisify(execFile);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const LATENCY_QPS = Number(process.env.BENCH_LATENCY_QPS ?? 10_000);
const LATENCY_SECONDS = 5;
/** USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const TICKS_PER_SECOND = 100;

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
const SKIFF_ADDRESS = '127.0.0.71';
const DNSMASQ_ADDRESS = '127.0.0.72';

async function ensureDnsperf(): Promise<void> {
  try {
    await access('/usr/bin/dnsperf');
  } catch {
    process.stdout.write('installing dnsperf (apt-get install -y dnsperf)\n');
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'dnsperf'], { maxBuffer: 16 << 20 });
  }
}

interface Throughput {
  readonly qps: number;
  readonly lost: number;
}

async function throughput(address: string, port: number, queries: string): Promise<Throughput> {
  const { stdout } = await run('dnsperf', ['-s', address, '-p', String(port), '-d', queries, '-l', String(SECONDS), '-c', '4', '-q', '64', '-t', '2'], { maxBuffer: 16 << 20 });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1]);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(stdout)?.[1]);
  const noerror = /Response codes:\s+NOERROR \d+ \(100\.00%\)/.test(stdout);
  if (!Number.isFinite(qps) || !noerror) throw new Error(`dnsperf against ${address}:${port} did not get NOERROR for every query:\n${stdout}`);
  return { qps, lost };
}

/** Every answer's latency (seconds) at a fixed rate, from dnsperf -v (one line per answer). */
function latencies(address: string, port: number, queries: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', ['-v', '-s', address, '-p', String(port), '-d', queries, '-l', String(LATENCY_SECONDS), '-Q', String(LATENCY_QPS), '-t', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const values: number[] = [];
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^> NOERROR \S+ A ([\d.]+)$/.exec(line);
        if (match) values.push(Number(match[1]));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(values.sort((a, b) => a - b)) : reject(new Error(`dnsperf -v exited ${code}`))));
  });
}

async function main(): Promise<void> {
  await ensureDnsperf();
  const startLoad = loadavg().map((l) => fixed(l, 1)).join(' ');
  const dir = await mkdtemp(join(tmpdir(), 'skiff-dns-bench-'));
  const names = benchServices(SERVICES);
  const queries = join(dir, 'queries');
  await writeFile(queries, names.map(({ name }) => `${name}.bench.svc.cluster.local A\n`).join(''));
  let skiff: ManagedProcess | undefined;
  const agentFlags = nodeFlagsOf(AGENT_MAIN);
  let dnsmasq: Awaited<ReturnType<typeof startDnsmasq>> | undefined;
  try {
    skiff = startProcess({ name: 'skiff-dns', command: process.execPath, args: [...agentFlags, join(import.meta.dirname, 'dns-bench-server.js'), SKIFF_ADDRESS, '0', String(SERVICES)] });
    const skiffPort = Number((await skiff.waitForLine(/^ready (\d+)$/, 10_000))[1]);
    dnsmasq = await startDnsmasq({
      address: DNSMASQ_ADDRESS,
      port: await freePort(),
      hosts: names.map(({ name, ip }) => `${ip} ${name}.bench.svc.cluster.local`),
      ttl: 5,
      localDomains: ['cluster.local'],
    });
    // A first pass each, unmeasured: warm-up for Node (baseline code), cache fill for both.
    await run('dnsperf', ['-s', SKIFF_ADDRESS, '-p', String(skiffPort), '-d', queries, '-l', '1']);
    await run('dnsperf', ['-s', DNSMASQ_ADDRESS, '-p', String(dnsmasq.port), '-d', queries, '-l', '1']);
    const rounds: { skiff: Throughput; dnsmasq: Throughput }[] = [];
    const dnsmasqPort = dnsmasq.port;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const skiffFirst = round % 2 === 1;
      const first = await throughput(skiffFirst ? SKIFF_ADDRESS : DNSMASQ_ADDRESS, skiffFirst ? skiffPort : dnsmasqPort, queries);
      const second = await throughput(skiffFirst ? DNSMASQ_ADDRESS : SKIFF_ADDRESS, skiffFirst ? dnsmasqPort : skiffPort, queries);
      const [s, d] = skiffFirst ? [first, second] : [second, first];
      rounds.push({ skiff: s, dnsmasq: d });
      process.stdout.write(`round ${round}: Skiff ${fixed(s.qps, 0)} q/s (lost ${s.lost}), dnsmasq ${fixed(d.qps, 0)} q/s (lost ${d.lost}), ratio ${fixed(s.qps / d.qps, 2)}\n`);
    }
    const measured = async (pid: number, address: string, port: number): Promise<{ values: number[]; cpuPerQuery: number }> => {
      const before = await cpuSeconds(pid);
      const values = await latencies(address, port, queries);
      return { values, cpuPerQuery: ((await cpuSeconds(pid)) - before) / values.length };
    };
    const skiffRun = await measured(skiff.pid, SKIFF_ADDRESS, skiffPort);
    const dnsmasqRun = await measured(dnsmasq.process.pid, DNSMASQ_ADDRESS, dnsmasq.port);
    const skiffLatency = skiffRun.values;
    const dnsmasqLatency = dnsmasqRun.values;
    const median = (values: number[]): number => {
      const sorted = [...values].sort((a, b) => a - b);
      const middle = sorted.length / 2;
      return Number.isInteger(middle) ? ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2 : (sorted[Math.floor(middle)] ?? Number.NaN);
    };
    const skiffQps = median(rounds.map((r) => r.skiff.qps));
    const dnsmasqQps = median(rounds.map((r) => r.dnsmasq.qps));
    const ratio = median(rounds.map((r) => r.skiff.qps / r.dnsmasq.qps));
    const ms = (values: number[], p: number): string => `${fixed(percentile(values, p) * 1000, 3)} ms`;
    process.stdout.write(
      [
        `dns benchmark: ${SERVICES} Services (A queries for <svc>.bench.svc.cluster.local), dnsperf -c 4 -q 64, ${ROUNDS} paired rounds of ${SECONDS} s, medians`,
        `  Skiff cluster DNS         ${fixed(skiffQps, 0)} queries/s (best ${fixed(Math.max(...rounds.map((r) => r.skiff.qps)), 0)}; node ${agentFlags.join(' ')}, the agent's flags)`,
        `  dnsmasq (hosts file)      ${fixed(dnsmasqQps, 0)} queries/s (best ${fixed(Math.max(...rounds.map((r) => r.dnsmasq.qps)), 0)})`,
        `  ratio Skiff ÷ dnsmasq     ${fixed(ratio, 2)} (median of the rounds' ratios; goal ≥ 1.0)`,
        `  latency at ${LATENCY_QPS} q/s, p50 / p99:  Skiff ${ms(skiffLatency, 50)} / ${ms(skiffLatency, 99)} (${skiffLatency.length} answers), dnsmasq ${ms(dnsmasqLatency, 50)} / ${ms(dnsmasqLatency, 99)} (${dnsmasqLatency.length} answers)`,
        `  ratio p99 Skiff ÷ dnsmasq ${fixed(percentile(skiffLatency, 99) / percentile(dnsmasqLatency, 99), 2)}`,
        `  CPU per query (same runs): Skiff ${fixed(skiffRun.cpuPerQuery * 1e6, 1)} µs, dnsmasq ${fixed(dnsmasqRun.cpuPerQuery * 1e6, 1)} µs, ratio dnsmasq ÷ Skiff ${fixed(dnsmasqRun.cpuPerQuery / skiffRun.cpuPerQuery, 2)} (≥ 1.0: Skiff cheaper)`,
        `  load average before / after: ${startLoad} / ${loadavg().map((l) => fixed(l, 1)).join(' ')} (2 cores)`,
        '',
      ].join('\n'),
    );
  } finally {
    await skiff?.stop(2000);
    await dnsmasq?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();

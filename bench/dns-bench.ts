// npm run bench:dns — Debian's dnsperf against Skiff's cluster DNS serving
// 1,000 Services and, in the same run, against Debian's dnsmasq serving the
// same 1,000 names from a hosts file (the reference), each on its own
// loopback address. Throughput: dnsperf at saturation (4 clients, 64 queries
// in flight), rounds alternating between the two, the best round of each.
// Latency: dnsperf -v at a fixed 5,000 queries/s, every answer's latency, p50
// and p99. Prints both and the ratios Skiff ÷ dnsmasq.
import { execFile, spawn } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startDnsmasq, startProcess, type ManagedProcess } from '@skiff/testkit';
import { fixed, percentile } from './bench-support.js';
import { benchServices } from './dns-bench-server.js';

const run = promisify(execFile);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LATENCY_QPS = Number(process.env.BENCH_LATENCY_QPS ?? 5000);
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
    const child = spawn('dnsperf', ['-v', '-s', address, '-p', String(port), '-d', queries, '-l', '3', '-Q', String(LATENCY_QPS), '-t', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  const dir = await mkdtemp(join(tmpdir(), 'skiff-dns-bench-'));
  const names = benchServices(SERVICES);
  const queries = join(dir, 'queries');
  await writeFile(queries, names.map(({ name }) => `${name}.bench.svc.cluster.local A\n`).join(''));
  let skiff: ManagedProcess | undefined;
  let dnsmasq: Awaited<ReturnType<typeof startDnsmasq>> | undefined;
  try {
    skiff = startProcess({ name: 'skiff-dns', command: process.execPath, args: [join(import.meta.dirname, 'dns-bench-server.js'), SKIFF_ADDRESS, '0', String(SERVICES)] });
    const skiffPort = Number((await skiff.waitForLine(/^ready (\d+)$/, 10_000))[1]);
    dnsmasq = await startDnsmasq({
      address: DNSMASQ_ADDRESS,
      port: await freePort(),
      hosts: names.map(({ name, ip }) => `${ip} ${name}.bench.svc.cluster.local`),
      ttl: 5,
      localDomains: ['cluster.local'],
    });
    // A first pass each, unmeasured: JIT warm-up for Node, cache fill for both.
    await run('dnsperf', ['-s', SKIFF_ADDRESS, '-p', String(skiffPort), '-d', queries, '-l', '1']);
    await run('dnsperf', ['-s', DNSMASQ_ADDRESS, '-p', String(dnsmasq.port), '-d', queries, '-l', '1']);
    const rounds: { skiff: Throughput; dnsmasq: Throughput }[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const s = await throughput(SKIFF_ADDRESS, skiffPort, queries);
      const d = await throughput(DNSMASQ_ADDRESS, dnsmasq.port, queries);
      rounds.push({ skiff: s, dnsmasq: d });
      process.stdout.write(`round ${round}: Skiff ${fixed(s.qps, 0)} q/s (lost ${s.lost}), dnsmasq ${fixed(d.qps, 0)} q/s (lost ${d.lost})\n`);
    }
    const skiffLatency = await latencies(SKIFF_ADDRESS, skiffPort, queries);
    const dnsmasqLatency = await latencies(DNSMASQ_ADDRESS, dnsmasq.port, queries);
    const best = (pick: (r: (typeof rounds)[number]) => Throughput): number => Math.max(...rounds.map((r) => pick(r).qps));
    const skiffQps = best((r) => r.skiff);
    const dnsmasqQps = best((r) => r.dnsmasq);
    const ms = (values: number[], p: number): string => `${fixed(percentile(values, p) * 1000, 3)} ms`;
    process.stdout.write(
      [
        `dns benchmark: ${SERVICES} Services (A queries for <svc>.bench.svc.cluster.local), dnsperf -c 4 -q 64, ${ROUNDS} rounds of ${SECONDS} s each, best round`,
        `  Skiff cluster DNS         ${fixed(skiffQps, 0)} queries/s`,
        `  dnsmasq (hosts file)      ${fixed(dnsmasqQps, 0)} queries/s`,
        `  ratio Skiff ÷ dnsmasq     ${fixed(skiffQps / dnsmasqQps, 2)} (goal ≥ 1.0)`,
        `  latency at ${LATENCY_QPS} q/s, p50 / p99:  Skiff ${ms(skiffLatency, 50)} / ${ms(skiffLatency, 99)} (${skiffLatency.length} answers), dnsmasq ${ms(dnsmasqLatency, 50)} / ${ms(dnsmasqLatency, 99)} (${dnsmasqLatency.length} answers)`,
        `  ratio p99 Skiff ÷ dnsmasq ${fixed(percentile(skiffLatency, 99) / percentile(dnsmasqLatency, 99), 2)}`,
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

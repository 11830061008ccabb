// npm run bench:runtime — one runc agent, a Deployment of busybox httpd scaled
// from 1 to 50 replicas (the image already pulled), and beside it, in the same
// run, 50 raw `runc run -d` of a busybox rootfs (the reference). Prints:
//  - apply → 50 Running, and the raw runc time, as a ratio;
//  - memory per container: RSS and PSS of the processes on the host because of
//    each container besides its own (its conmon), from /proc/<pid>/smaps_rollup;
//  - the agent's RSS with 50 pods, and its split (anonymous, file pages) and
//    peak from /proc/<pid>/status;
// each beside a reference measured in the same run: raw runc (timed before and
// after the scale-up, as the two shared cores' load moves), the containers' own
// processes, and an idle Node.js process started with the agent's node flags.
// A second raw reference runs the same containers under the agent's default
// seccomp profile (what every Skiff container gets, RuntimeDefault): runc's
// init compiles it with libseccomp at each start, which plain runc run skips.
// The goal's ratio stays against the plain reference, as issue 9 defines it.
// BENCH_PODS=N scales to N instead; BENCH_HOLD_SECONDS=S keeps the cluster with
// its pods for S seconds after the figures are taken (its agent's pid on
// stderr), to look at the agent with other tools. BENCH_CPU_PROFILE=<dir> (with
// NODE_OPTIONS="--import ./bench/dist/cpu-profile-preload.js" and
// BENCH_CPU_PROFILE_MATCH="controlplane|agent"): CPU profiles of the scale-up alone.
import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pod } from '@skiff/api';
import { defaultSeccompProfile, type OciSeccomp } from '@skiff/agent';
import { AGENT_MAIN, buildBusyboxImage, nodeFlagsOf, startLocalCluster, startRegistry, waitFor } from '@skiff/testkit';
import { call, fixed } from './bench-support.js';

const run = promisify(execFile);
const PODS = Number(process.env.BENCH_PODS ?? 50);

interface Memory {
  readonly rssKb: number;
  readonly pssKb: number;
}

async function memoryOf(pid: number): Promise<Memory> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKb: field('Rss'), pssKb: field('Pss') };
}

/** The split of a process's resident set (RssAnon, RssFile), its peak (VmHWM), its threads, from /proc/<pid>/status. */
async function statusOf(pid: number): Promise<{ anonKb: number; fileKb: number; peakKb: number; threads: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { anonKb: field('RssAnon'), fileKb: field('RssFile'), peakKb: field('VmHWM'), threads: field('Threads') };
}

/** CPU seconds (user + system) a process has used itself, from /proc/<pid>/stat. */
async function processCpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The first child of a process (conmon's: the container's init). */
async function childOf(pid: number): Promise<number | undefined> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const first = Number(children.trim().split(' ')[0]);
  return Number.isInteger(first) && first > 0 ? first : undefined;
}

/** The floor of any Node.js agent: an idle `node` with the agent's node flags. */
async function idleNodeMemory(): Promise<Memory> {
  const child = spawn(process.execPath, [...nodeFlagsOf(AGENT_MAIN), '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return await memoryOf(child.pid ?? 0);
  } finally {
    child.kill('SIGKILL');
  }
}

const average = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Pids of processes whose command line contains `needle` and starts with `binary`. */
async function pidsOf(binary: string, needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if ((argv[0] ?? '').endsWith(binary) && cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

/** `runc run -d` with no pipes: the detached container would hold them open, and the call would never end. */
function runDetached(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('runc', args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc ${args.join(' ')} exited ${code}`))));
  });
}

/** 50 × `runc run -d` of a busybox rootfs, one after another: the time the raw runtime takes. */
async function rawRunc(workDir: string, count: number, seccomp?: OciSeccomp): Promise<number> {
  const rootfs = join(workDir, 'raw-rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  await symlink('busybox', join(rootfs, 'bin', 'sleep'));
  for (const dir of ['proc', 'sys', 'dev', 'tmp']) await mkdir(join(rootfs, dir), { recursive: true });
  const state = join(workDir, 'raw-state');
  const ids = Array.from({ length: count }, (_, i) => `skiff-bench-raw-${process.pid}-${i}`);
  const bundles: string[] = [];
  for (const id of ids) {
    const bundle = join(workDir, 'raw', id);
    await mkdir(bundle, { recursive: true });
    await run('runc', ['spec', '--bundle', bundle]);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as {
      process: { args: string[]; terminal: boolean };
      root: { path: string; readonly: boolean };
      linux: { cgroupsPath?: string; seccomp?: OciSeccomp };
    };
    spec.process.args = ['/bin/sleep', '3600'];
    spec.process.terminal = false;
    spec.root = { path: rootfs, readonly: true };
    spec.linux.cgroupsPath = `/skiff-bench-raw/${id}`;
    if (seccomp) spec.linux.seccomp = seccomp;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    bundles.push(bundle);
  }
  const started = performance.now();
  try {
    for (const [i, id] of ids.entries()) await runDetached(['--root', state, 'run', '-d', '--bundle', bundles[i] ?? '', id]);
    return (performance.now() - started) / 1000;
  } finally {
    for (const id of ids) await run('runc', ['--root', state, 'delete', '--force', id]).catch(() => undefined);
    // Whatever is left in the reference's cgroups (a run interrupted mid-way) is killed, then the cgroups removed.
    await run('sh', [
      '-c',
      'cat /sys/fs/cgroup/pids/skiff-bench-raw/*/cgroup.procs 2>/dev/null | xargs -r kill -9; sleep 0.2; ' +
        'for d in /sys/fs/cgroup/*/skiff-bench-raw; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \\; 2>/dev/null; done; true',
    ]);
  }
}

const say = (text: string): void => void process.stderr.write(`runtime-bench: ${text}\n`);
const workDir = await mkdtemp(join(tmpdir(), 'skiff-runtime-bench-'));
const registry = await startRegistry();
const cluster = await startLocalCluster();
try {
  const image = (await buildBusyboxImage(join(workDir, 'image'), registry.address)).reference ?? '';
  const agent = await cluster.addAgent({ name: 'bench-node', cpu: '64', memory: '64Gi', pods: String(PODS + 10), insecureRegistries: [registry.address] });
  const api = cluster.apiClient();
  const apply = (replicas: number): Promise<unknown> =>
    call((cb) =>
      api.Apply(
        {
          manifest_json: JSON.stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'runtime-bench' },
            spec: {
              replicas,
              selector: { matchLabels: { app: 'runtime-bench' } },
              template: {
                metadata: { labels: { app: 'runtime-bench' } },
                spec: { containers: [{ name: 'web', image, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
              },
            },
          }),
          strict: false,
          dry_run: false,
        },
        cb,
      ),
    );
  // The pods' phases from a watch, not by listing every few milliseconds: a
  // List of 50 pods every 20 ms cost the control plane as much CPU as the
  // start it measured, on the same two cores.
  const phases = new Map<string, string>();
  const watch = api.Watch({ kind: 'pods', namespace: 'default', all_namespaces: false, label_selector: 'app=runtime-bench', resource_version: '' });
  watch.on('data', (event: { type: string; object_json: string }) => {
    const pod = JSON.parse(event.object_json) as Pod;
    if (event.type === 'DELETED') phases.delete(pod.metadata.name);
    else phases.set(pod.metadata.name, pod.status?.phase ?? 'Pending');
  });
  watch.on('error', () => undefined);
  const runningPods = async (): Promise<number> => [...phases.values()].filter((phase) => phase === 'Running').length;
  say('cluster up; pulling the image with one replica');
  // One replica first, so the image is pulled and unpacked before the clock starts.
  await apply(1);
  await waitFor(async () => (await runningPods()) === 1, { timeoutMs: 120_000, intervalMs: 50, description: 'the first replica Running' });
  const agentMemoryOnePod = await memoryOf(agent.process.pid);
  const agentStatusOnePod = await statusOf(agent.process.pid);
  say('raw runc reference (before)');
  const loadBefore = load();
  const rawBefore = await rawRunc(join(workDir, 'raw-before'), PODS - 1);
  say(`scaling to ${PODS}`);
  const started = performance.now();
  const cpuBefore = await Promise.all([agent.process.pid, cluster.controlPlane.pid].map(processCpuSeconds));
  const benchCpuBefore = process.cpuUsage();
  const profile = (): void => {
    if (process.env.BENCH_CPU_PROFILE) for (const pid of [agent.process.pid, cluster.controlPlane.pid]) process.kill(pid, 'SIGUSR2');
  };
  profile();
  await apply(PODS);
  await waitFor(async () => (await runningPods()) === PODS, { timeoutMs: 300_000, intervalMs: 20, description: `${PODS} replicas Running` });
  const skiffSeconds = (performance.now() - started) / 1000;
  profile();
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const [agentCpu = 0, controlPlaneCpu = 0] = (await Promise.all([agent.process.pid, cluster.controlPlane.pid].map(processCpuSeconds))).map((s, i) => s - (cpuBefore[i] ?? 0));

  const monitors = await pidsOf('conmon', agent.stateDir);
  const perContainer = await Promise.all(monitors.map(memoryOf));
  const rss = perContainer.reduce((sum, m) => sum + m.rssKb, 0) / Math.max(1, perContainer.length) / 1024;
  const pss = perContainer.reduce((sum, m) => sum + m.pssKb, 0) / Math.max(1, perContainer.length) / 1024;
  const agentMemory = await memoryOf(agent.process.pid);
  const agentStatus = await statusOf(agent.process.pid);
  const containers = (await Promise.all(monitors.map(childOf))).filter((pid): pid is number => pid !== undefined);
  const containerMemory = await Promise.all(containers.map(memoryOf));
  const containerRss = average(containerMemory.map((m) => m.rssKb)) / 1024;
  const containerPss = average(containerMemory.map((m) => m.pssKb)) / 1024;
  const idleNode = await idleNodeMemory();
  if (process.env.BENCH_HOLD_SECONDS) {
    say(`holding ${process.env.BENCH_HOLD_SECONDS} s with ${PODS} pods; agent pid ${agent.process.pid}`);
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_HOLD_SECONDS) * 1000));
  }

  await apply(0);
  await waitFor(async () => (await runningPods()) === 0, { timeoutMs: 300_000, intervalMs: 100, description: 'the replicas gone' });
  say('raw runc reference (after)');
  const rawAfter = await rawRunc(join(workDir, 'raw-after'), PODS - 1);
  say("raw runc reference with the agent's seccomp profile");
  const rawSeccomp = await rawRunc(join(workDir, 'raw-seccomp'), PODS - 1, defaultSeccompProfile());
  const loadAfter = load();
  const rawSeconds = (rawBefore + rawAfter) / 2;

  console.log(`runtime benchmark: one runc agent, busybox httpd, 1 → ${PODS} replicas (image already pulled)`);
  console.log(`  apply → ${PODS} Running           ${fixed(skiffSeconds, 2)} s (${PODS - 1} new containers)`);
  console.log(`  raw runc run -d × ${PODS - 1}         ${fixed(rawSeconds, 2)} s (before ${fixed(rawBefore, 2)} s, after ${fixed(rawAfter, 2)} s; sequential, same run)`);
  console.log(`  ratio Skiff ÷ raw runc           ${fixed(skiffSeconds / rawSeconds, 2)}`);
  console.log(`  raw runc, the agent's seccomp    ${fixed(rawSeccomp, 2)} s (the same ${PODS - 1}, RuntimeDefault profile; ratio Skiff ÷ it ${fixed(skiffSeconds / rawSeccomp, 2)})`);
  console.log(`  CPU during the scale-up          agent ${fixed(agentCpu, 2)} s, control plane ${fixed(controlPlaneCpu, 2)} s, this benchmark ${fixed((benchCpu.user + benchCpu.system) / 1e6, 2)} s`);
  console.log(`  monitor per container (conmon)   RSS ${fixed(rss, 2)} MB, PSS ${fixed(pss, 2)} MB (${monitors.length} monitors)`);
  console.log(`  the container itself (httpd)     RSS ${fixed(containerRss, 2)} MB, PSS ${fixed(containerPss, 2)} MB (ratio conmon ÷ container RSS ${fixed(rss / containerRss, 2)})`);
  console.log(`  agent with ${PODS} pods              RSS ${fixed(agentMemory.rssKb / 1024, 1)} MB, PSS ${fixed(agentMemory.pssKb / 1024, 1)} MB`);
  console.log(`  agent with 1 pod (before)        RSS ${fixed(agentMemoryOnePod.rssKb / 1024, 1)} MB, PSS ${fixed(agentMemoryOnePod.pssKb / 1024, 1)} MB`);
  const split = (s: { anonKb: number; fileKb: number; peakKb: number; threads: number }): string =>
    `anon ${fixed(s.anonKb / 1024, 1)} MB, file ${fixed(s.fileKb / 1024, 1)} MB, peak (VmHWM) ${fixed(s.peakKb / 1024, 1)} MB, ${s.threads} threads`;
  console.log(`  agent's RSS, ${PODS} pods (1 pod)     ${split(agentStatus)} (${split(agentStatusOnePod)})`);
  console.log(`  idle node, the agent's flags     RSS ${fixed(idleNode.rssKb / 1024, 1)} MB, PSS ${fixed(idleNode.pssKb / 1024, 1)} MB (ratio agent ÷ idle node RSS ${fixed(agentMemory.rssKb / idleNode.rssKb, 2)})`);
  console.log(`  load average (1, 5, 15 min)      ${loadBefore} before, ${loadAfter} after (2 cores, shared)`);
  watch.cancel();
} finally {
  await cluster.stop();
  await registry.stop();
  await rm(workDir, { recursive: true, force: true });
}

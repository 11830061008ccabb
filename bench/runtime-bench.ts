// npm run bench:runtime — one runc agent, a Deployment of busybox httpd scaled
// from 1 to 50 replicas (the image already pulled), and beside it, in the same
// run, 50 raw `runc run -d` of a busybox rootfs (the reference). Prints:
//  - apply → 50 Running, and the raw runc time, as a ratio;
//  - memory per container: RSS and PSS of the processes on the host because of
//    each container besides its own (its conmon), from /proc/<pid>/smaps_rollup;
//  - the agent's RSS with 50 pods.
import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pod } from '@skiff/api';
import { buildBusyboxImage, startLocalCluster, startRegistry, waitFor } from '@skiff/testkit';
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
async function rawRunc(workDir: string, count: number): Promise<number> {
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
      linux: { cgroupsPath?: string };
    };
    spec.process.args = ['/bin/sleep', '3600'];
    spec.process.terminal = false;
    spec.root = { path: rootfs, readonly: true };
    spec.linux.cgroupsPath = `/skiff-bench-raw/${id}`;
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
  const runningPods = async (): Promise<number> => {
    const result = await call<{ items_json: string[] }>((cb) =>
      api.List({ kind: 'pods', namespace: 'default', all_namespaces: false, label_selector: 'app=runtime-bench' }, cb),
    );
    return result.items_json.map((json) => JSON.parse(json) as Pod).filter((pod) => pod.status?.phase === 'Running').length;
  };
  say('cluster up; pulling the image with one replica');
  // One replica first, so the image is pulled and unpacked before the clock starts.
  await apply(1);
  await waitFor(async () => (await runningPods()) === 1, { timeoutMs: 120_000, intervalMs: 50, description: 'the first replica Running' });
  say(`scaling to ${PODS}`);
  const started = performance.now();
  await apply(PODS);
  await waitFor(async () => (await runningPods()) === PODS, { timeoutMs: 300_000, intervalMs: 20, description: `${PODS} replicas Running` });
  const skiffSeconds = (performance.now() - started) / 1000;

  const monitors = await pidsOf('conmon', agent.stateDir);
  const perContainer = await Promise.all(monitors.map(memoryOf));
  const rss = perContainer.reduce((sum, m) => sum + m.rssKb, 0) / Math.max(1, perContainer.length) / 1024;
  const pss = perContainer.reduce((sum, m) => sum + m.pssKb, 0) / Math.max(1, perContainer.length) / 1024;
  const agentMemory = await memoryOf(agent.process.pid);

  await apply(0);
  await waitFor(async () => (await runningPods()) === 0, { timeoutMs: 300_000, intervalMs: 100, description: 'the replicas gone' });
  say('raw runc reference');
  const rawSeconds = await rawRunc(workDir, PODS - 1);

  console.log(`runtime benchmark: one runc agent, busybox httpd, 1 → ${PODS} replicas (image already pulled)`);
  console.log(`  apply → ${PODS} Running           ${fixed(skiffSeconds, 2)} s (${PODS - 1} new containers)`);
  console.log(`  raw runc run -d × ${PODS - 1}         ${fixed(rawSeconds, 2)} s (same machine, same run, sequential)`);
  console.log(`  ratio Skiff ÷ raw runc           ${fixed(skiffSeconds / rawSeconds, 2)}`);
  console.log(`  monitor per container (conmon)   RSS ${fixed(rss, 2)} MB, PSS ${fixed(pss, 2)} MB (${monitors.length} monitors)`);
  console.log(`  agent with ${PODS} pods              RSS ${fixed(agentMemory.rssKb / 1024, 1)} MB, PSS ${fixed(agentMemory.pssKb / 1024, 1)} MB`);
} finally {
  await cluster.stop();
  await registry.stop();
  await rm(workDir, { recursive: true, force: true });
}

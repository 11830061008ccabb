// The hardened defaults checked from inside real containers: buildOciSpec's
// config.json run by `runc run` in the foreground (no driver in between), on a
// busybox rootfs. Needs root, runc, a static busybox and gcc with a static libc
// (skipped otherwise, failing under CI).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupDirIn, cgroupHierarchies, removeCgroupDirs, removeEmptyCgroupParentSync } from './cgroup-fs.js';
import { capabilityMask, DEFAULT_CAPABILITIES, hostCapabilities } from './capabilities.js';
import { readMountInfo } from './mountinfo.js';
import { buildOciSpec } from './oci-spec.js';
import { runCommand, type CommandResult } from './run-command.js';
import type { BindMount, ContainerSecurity, ContainerSpec } from './runtime.js';
import { writePodEtcFiles } from './pod-etc-files.js';
import { makeBusyboxLayer } from './test-rootfs.js';

const SYSCALL_ABI_SOURCE = fileURLToPath(new URL('../../../../test/fixtures/syscall-abi.c', import.meta.url));

/** Applets these checks need beyond the shared test layer's. */
const EXTRA_APPLETS = ['mount', 'touch', 'unshare', 'stat', 'uname', 'linux32'];

describe.skipIf(skipUnlessRoot({ commands: ['runc', 'gcc'], files: ['/bin/busybox'] }))('hardened defaults inside a container (real runc)', () => {
  const parent = `/skiff-hardening-${randomBytes(4).toString('hex')}`;
  let base: string;
  let layer: string;
  let counter = 0;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-harden-'));
    layer = await makeBusyboxLayer(join(base, 'layer'));
    for (const applet of EXTRA_APPLETS) await symlink('busybox', join(layer, 'bin', applet));
    await mkdir(join(layer, 'mnt'));
  });

  afterAll(async () => {
    removeEmptyCgroupParentSync(cgroupHierarchies(await readMountInfo()), parent);
    const leftovers = cgroupHierarchies(await readMountInfo()).flatMap((h) => cgroupDirIn(h, parent) ?? []);
    await rm(base, { recursive: true, force: true });
    expect(leftovers.filter((dir) => existsSync(dir))).toEqual([]);
  });

  /** Runs `sh -c script` to its end in a fresh container; returns its exit code and output. */
  async function run(script: string, security?: ContainerSecurity, mounts?: BindMount[], argv = ['sh', '-c', script], from = layer): Promise<CommandResult> {
    const id = `harden-${++counter}-${randomBytes(2).toString('hex')}`;
    const bundle = join(base, id);
    const rootfs = join(bundle, 'rootfs');
    await cp(from, rootfs, { recursive: true, verbatimSymlinks: true });
    const spec: ContainerSpec = {
      id,
      labels: {},
      layers: [],
      argv,
      env: {},
      limits: { pids: 64 },
      ...(security ? { security } : {}),
      ...(mounts ? { mounts } : {}),
    };
    const cgroupsPath = `${parent}/${id}`;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(buildOciSpec(spec, { rootfsPath: rootfs, cgroupsPath })));
    try {
      return await runCommand('runc', ['--root', join(base, 'runc'), 'run', '--bundle', bundle, id], { timeoutMs: 20_000 });
    } finally {
      await runCommand('runc', ['--root', join(base, 'runc'), 'delete', '--force', id]);
      await removeCgroupDirs(cgroupsPath);
    }
  }

  const capLine = (status: string, name: string): bigint => BigInt(`0x${/^(\w+):\s+([0-9a-f]+)$/m.exec(status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2] ?? 'x'}`);

  it('runs as root with exactly the default capability set, no_new_privs and seccomp filtering', async () => {
    const result = await run('id -u; cat /proc/self/status');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [uid, ...status] = result.stdout.split('\n');
    expect(uid).toBe('0');
    const text = status.join('\n');
    const mask = capabilityMask(DEFAULT_CAPABILITIES);
    expect(capLine(text, 'CapEff')).toBe(mask);
    expect(capLine(text, 'CapPrm')).toBe(mask);
    expect(capLine(text, 'CapBnd')).toBe(mask);
    expect(capLine(text, 'CapInh')).toBe(0n);
    expect(capLine(text, 'CapAmb')).toBe(0n);
    expect(text).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(text).toMatch(/^Seccomp:\s+2$/m);
  });

  it('opens ICMP datagram sockets (ping without NET_RAW) in the container network namespace only', async () => {
    const result = await run('cat /proc/sys/net/ipv4/ping_group_range');
    expect(result.stdout).toBe('0\t2147483647\n');
  });

  it('refuses mount (no CAP_SYS_ADMIN, and the filter denies it)', async () => {
    const result = await run('mount -t tmpfs x /mnt; echo "exit=$?"; grep -c " /mnt " /proc/mounts');
    expect(result.stdout).toMatch(/^exit=[1-9]\d*\n0\n$/);
    // busybox words EPERM as "permission denied (are you root?)".
    expect(result.stderr).toMatch(/permission denied|operation not permitted/i);
  });

  it('hides /proc/kcore and keeps /proc/sys read-only', async () => {
    const result = await run('cat /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/domainname; echo "exit=$?"');
    expect(result.stdout).toBe('0\nexit=1\n');
    expect(result.stderr).toMatch(/Read-only file system/);
  });

  it('filters i386 system calls as well (a 32-bit program works), and kills a process that makes an x32 call', async () => {
    // A static probe (test/fixtures/syscall-abi.c) calling getpid through each x86 ABI.
    const probe = join(base, 'syscall-abi');
    const built = await runCommand('gcc', ['-static', '-O1', '-o', probe, SYSCALL_ABI_SOURCE]);
    expect(built.stderr).toBe('');
    const probeLayer = join(base, 'abi-layer');
    await cp(layer, probeLayer, { recursive: true, verbatimSymlinks: true });
    await cp(probe, join(probeLayer, 'bin', 'syscall-abi'));
    const call = (abi: string, security?: ContainerSecurity) => run('', security, undefined, ['/bin/syscall-abi', abi], probeLayer);
    // PID 1 of its own namespace, through either ABI the filter has.
    expect(await call('native')).toMatchObject({ code: 0, stdout: 'native 1\n' });
    expect(await call('i386')).toMatchObject({ code: 0, stdout: 'i386 1\n' });
    // x32 is not among the filter's architectures: libseccomp's bad-architecture action, SIGSYS (128 + 31).
    expect(await call('x32')).toMatchObject({ code: 159, stdout: '' });
    // Unconfined, the kernel answers it itself (ENOSYS where it has no x32 ABI, as Debian's by default).
    expect((await call('x32', { seccomp: 'Unconfined' })).code).toBe(0);
  });

  it('answers a filtered system call (unshare) with EPERM, which Unconfined allows', async () => {
    const script = 'unshare -U true; echo "exit=$?"';
    const confined = await run(script);
    expect(confined.stdout).toBe('exit=1\n');
    expect(confined.stderr).toMatch(/unshare.*Operation not permitted/);
    // Creating a user namespace needs no capability: only the filter stood in the way.
    const unconfined = await run(script, { seccomp: 'Unconfined' });
    expect(unconfined).toMatchObject({ code: 0, stdout: 'exit=0\n', stderr: '' });
  });

  it('allows the harmless personalities (linux32)', async () => {
    expect(await run('linux32 uname -m')).toMatchObject({ code: 0, stdout: 'i686\n', stderr: '' });
  });

  it('gives a private /dev with the standard devices', async () => {
    const result = await run('ls /dev; stat -f -c %T /dev; echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c');
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    for (const device of ['full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'tty', 'urandom', 'zero']) expect(lines).toContain(device);
    expect(lines).toContain('tmpfs');
    expect(lines.slice(-3)).toEqual(['4', '4', '']);
  });

  it('makes the root file system read-only when asked', async () => {
    const result = await run('touch /x; echo "exit=$?"; touch /tmp/x; echo "tmp=$?"', { readOnlyRootFilesystem: true });
    expect(result.stdout).toBe('exit=1\ntmp=1\n');
    expect(result.stderr).toMatch(/Read-only file system/);
    const writable = await run('touch /x; echo "exit=$?"');
    expect(writable.stdout).toBe('exit=0\n');
  });

  it('runs as the given user and groups, with no capabilities left after exec', async () => {
    const result = await run('id -u; id -g; id -G; grep -E "^Cap(Eff|Prm)" /proc/self/status', { uid: 1234, gid: 2345, additionalGids: [3456] });
    expect(result.stderr).toBe('');
    const [uid, gid, groups, prm, eff] = result.stdout.split('\n');
    expect([uid, gid, groups]).toEqual(['1234', '2345', '2345 3456']);
    expect(eff).toMatch(/^CapEff:\s+0+$/);
    expect(prm).toMatch(/^CapPrm:\s+0+$/);
  });

  it('privileged: every capability and no filter', async () => {
    const result = await run('grep -E "^(CapEff|Seccomp):" /proc/self/status; mount -t tmpfs x /mnt && echo mounted');
    expect(result.stdout).not.toContain('mounted');
    const privileged = await run('grep -E "^(CapEff|Seccomp):" /proc/self/status; mount -t tmpfs x /mnt && echo mounted', { privileged: true });
    expect(privileged.stderr).toBe('');
    // Every capability this (root) process holds, CAP_SYS_ADMIN among them.
    expect(capLine(privileged.stdout, 'CapEff')).toBe(capabilityMask(hostCapabilities()));
    expect(hostCapabilities()).toContain('CAP_SYS_ADMIN');
    expect(privileged.stdout).toMatch(/^Seccomp:\s+0$/m);
    expect(privileged.stdout).toContain('mounted');
  });

  it("bind-mounts the pod's hosts, hostname and resolv.conf read-only", async () => {
    const mounts = await writePodEtcFiles(join(base, 'pod-etc'), { hostname: 'web-0', podIP: '10.42.0.7', hostResolvConf: 'nameserver 127.0.0.53\nnameserver 192.0.2.1\n' });
    const result = await run('grep web-0 /etc/hosts; cat /etc/hostname; grep nameserver /etc/resolv.conf; echo x >> /etc/hosts; echo "exit=$?"', undefined, mounts);
    expect(result.stdout).toBe('10.42.0.7\tweb-0\nweb-0\nnameserver 192.0.2.1\nexit=1\n');
    expect(result.stderr).toMatch(/Read-only file system/);
  });

  it.skipIf(!existsSync('/usr/bin/node'))('runs a threaded, dynamically linked glibc program (node) under the filter', async () => {
    const nodeLayer = join(base, 'node-layer');
    await cp(layer, nodeLayer, { recursive: true, verbatimSymlinks: true });
    const ldd = await runCommand('ldd', ['/usr/bin/node']);
    const files = ['/usr/bin/node', ...[...ldd.stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] ?? '')];
    for (const file of files) {
      await mkdir(join(nodeLayer, dirname(file)), { recursive: true });
      await cp(file, join(nodeLayer, file), { dereference: true });
    }
    // Worker threads (clone3 answered ENOSYS, so glibc falls back to clone), files, a TCP round trip, crypto.
    const script = [
      "const { Worker } = require('node:worker_threads');",
      "const fs = require('node:fs'); const net = require('node:net'); const crypto = require('node:crypto');",
      "fs.writeFileSync('/tmp/f', 'data'); if (fs.readFileSync('/tmp/f', 'utf8') !== 'data') process.exit(2);",
      "new Worker('require(\"node:worker_threads\").parentPort.postMessage(6 * 7)', { eval: true }).on('message', (n) => {",
      "  const server = net.createServer((s) => s.end(crypto.randomBytes(4).toString('hex'))).listen(0, '127.0.0.1', () => {",
      "    net.connect(server.address().port, '127.0.0.1').on('data', (d) => { console.log(n, d.length); server.close(); });",
      '  });',
      '});',
    ].join('\n');
    const result = await run('', undefined, undefined, ['/usr/bin/node', '-e', script], nodeLayer);
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: '42 8\n' });
  });
});

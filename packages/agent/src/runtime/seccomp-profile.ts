// Skiff's default seccomp profile (what Kubernetes calls RuntimeDefault): a
// default-deny allow-list written from the x86-64 system call table. What
// ordinary programs use (files, memory, processes and threads, signals, time,
// polling, pipes, System V and POSIX IPC, sockets) is allowed; the rest fails
// with EPERM. Deliberately absent, among others: mount/umount2/pivot_root,
// unshare/setns (new namespaces), keyctl/add_key/request_key (the kernel
// keyring is not namespaced), kexec_load/kexec_file_load/reboot, init_module
// and friends, bpf, perf_event_open, ptrace/process_vm_*, open_by_handle_at,
// userfaultfd, io_uring_*, clock/time setting, personality other than the
// few harmless values, swapon/swapoff, quotactl,
// acct, fanotify, the new mount API (fsopen, move_mount …), lookup_dcookie.

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_MASKED_EQ' | 'SCMP_CMP_EQ';
}

export interface SeccompSyscall {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface OciSeccomp {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompSyscall[];
}

const EPERM = 1;
const ENOSYS = 38;

/**
 * The namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC,
 * NEWUSER, NEWPID, NEWNET, NEWTIME. clone is allowed only without any of them.
 */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

/**
 * personality(2) values a program may set: Linux itself, UNAME26, 32-bit
 * Linux, UNAME26|32-bit, and the query 0xffffffff. Not READ_IMPLIES_EXEC or
 * ADDR_NO_RANDOMIZE, which weaken the process's own protections.
 */
export const ALLOWED_PERSONALITIES: readonly number[] = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** x86-64 system calls every ordinary program may make, by area. */
export const ALLOWED_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  fileIo: [
    'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2',
    'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'lseek', 'dup', 'dup2', 'dup3', 'fcntl', 'flock',
    'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'truncate', 'ftruncate', 'fallocate', 'fadvise64',
    'readahead', 'sendfile', 'splice', 'tee', 'vmsplice', 'copy_file_range', 'ioctl',
  ],
  fileMetadata: [
    'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs', 'access', 'faccessat', 'faccessat2',
    'chmod', 'fchmod', 'fchmodat', 'chown', 'fchown', 'lchown', 'fchownat', 'utime', 'utimes', 'utimensat', 'futimesat',
    'readlink', 'readlinkat', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'unlink',
    'unlinkat', 'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat', 'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir',
    'chroot', 'umask', 'getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'listxattr',
    'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr', 'inotify_init', 'inotify_init1',
    'inotify_add_watch', 'inotify_rm_watch',
  ],
  memory: [
    'brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'mlock', 'mlock2', 'munlock',
    'mlockall', 'munlockall', 'membarrier', 'memfd_create', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
    'get_mempolicy', 'set_mempolicy', 'mbind',
  ],
  processes: [
    'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tkill', 'tgkill',
    'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid', 'getuid', 'geteuid', 'getgid',
    'getegid', 'getresuid', 'getresgid', 'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid',
    'setfsuid', 'setfsgid', 'getgroups', 'setgroups', 'capget', 'capset', 'prctl', 'arch_prctl',
    'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'futex', 'futex_waitv', 'sched_yield',
    'sched_getaffinity', 'sched_setaffinity', 'sched_getparam', 'sched_setparam', 'sched_getscheduler',
    'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval',
    'sched_getattr', 'sched_setattr', 'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'getrlimit',
    'setrlimit', 'prlimit64', 'getrusage', 'times', 'uname', 'sysinfo', 'getcpu', 'getrandom', 'pidfd_open',
    'pidfd_send_signal', 'restart_syscall', 'seccomp', 'landlock_create_ruleset', 'landlock_add_rule',
    'landlock_restrict_self',
  ],
  signals: [
    'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigtimedwait', 'rt_sigqueueinfo',
    'rt_tgsigqueueinfo', 'rt_sigsuspend', 'sigaltstack', 'pause', 'alarm', 'signalfd', 'signalfd4',
  ],
  time: [
    'nanosleep', 'clock_nanosleep', 'clock_gettime', 'clock_getres', 'gettimeofday', 'time', 'timer_create',
    'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete', 'timerfd_create', 'timerfd_settime',
    'timerfd_gettime', 'getitimer', 'setitimer',
  ],
  polling: [
    'select', 'pselect6', 'poll', 'ppoll', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait',
    'epoll_pwait2', 'eventfd', 'eventfd2', 'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents',
    'io_pgetevents',
  ],
  ipc: [
    'pipe', 'pipe2', 'shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl', 'msgget',
    'msgsnd', 'msgrcv', 'msgctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify',
    'mq_getsetattr',
  ],
  sockets: [
    'socket', 'socketpair', 'connect', 'accept', 'accept4', 'bind', 'listen', 'getsockname', 'getpeername', 'sendto',
    'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'setsockopt', 'getsockopt',
  ],
  /**
   * The i386 names of the same calls where they differ from x86-64's:
   * 32-bit programs run under the x86 architecture of the filter.
   */
  i386Variants: [
    '_llseek', '_newselect', 'stat64', 'fstat64', 'lstat64', 'fstatat64', 'statfs64', 'fstatfs64', 'fcntl64',
    'truncate64', 'ftruncate64', 'fadvise64_64', 'mmap2', 'sendfile64', 'socketcall', 'ugetrlimit', 'waitpid',
    'sigreturn', 'sigaction', 'sigprocmask', 'sigpending', 'sigsuspend', 'signal', 'getuid32', 'geteuid32',
    'getgid32', 'getegid32', 'setuid32', 'setgid32', 'setreuid32', 'setregid32', 'setresuid32', 'setresgid32',
    'getresuid32', 'getresgid32', 'getgroups32', 'setgroups32', 'chown32', 'fchown32', 'lchown32', 'setfsuid32',
    'setfsgid32', 'set_thread_area', 'get_thread_area', 'clock_gettime64', 'clock_getres_time64',
    'clock_nanosleep_time64', 'futex_time64', 'ppoll_time64', 'pselect6_time64', 'recvmmsg_time64',
    'semtimedop_time64', 'timer_gettime64', 'timer_settime64', 'timerfd_gettime64', 'timerfd_settime64',
    'utimensat_time64', 'rt_sigtimedwait_time64', 'mq_timedsend_time64', 'mq_timedreceive_time64',
    'io_pgetevents_time64', 'sched_rr_get_interval_time64',
  ],
};

/**
 * The profile as runc's config.json takes it (linux.seccomp).
 *
 * Architectures: x86-64 and i386 (32-bit images keep working), not x32 as
 * containerd's profile has it. No image ships x32 binaries, Debian's kernels
 * leave the x32 ABI off unless booted with syscall.x32=y, and libseccomp
 * refuses x32 calls (the x32 bit set) from a filter without that
 * architecture. Each architecture is a filter that runc's init compiles at
 * every container start: the third cost about 3.5 ms of CPU per start
 * (container init's own CPU time, /proc/PID/schedstat, runc 1.1.5 with
 * libseccomp 2.5.4: 14.3 ms with three, 10.4–10.8 with these two, 6.5–7.0
 * without a filter).
 */
export function defaultSeccompProfile(): OciSeccomp {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    syscalls: [
      { names: Object.values(ALLOWED_SYSCALLS).flat(), action: 'SCMP_ACT_ALLOW' },
      // Threads and fork() go through clone; a new namespace does not.
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      ...ALLOWED_PERSONALITIES.map(
        (value): SeccompSyscall => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }),
      ),
      // clone3 passes its flags in memory, out of the filter's reach: ENOSYS
      // (not EPERM) makes glibc and others fall back to clone.
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    ],
  };
}

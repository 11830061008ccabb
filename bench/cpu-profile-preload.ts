// A CPU profile of one window of a process the benchmark starts (Node refuses
// --cpu-prof in NODE_OPTIONS, and that would profile start-up too): loaded with
// NODE_OPTIONS="--import <this file>" and BENCH_CPU_PROFILE=<dir>, the process
// starts V8's profiler on its first SIGUSR2 (at once with BENCH_CPU_PROFILE_START=1)
// and writes <dir>/<pid>.cpuprofile on the next (or on exit). Only processes whose script path contains
// BENCH_CPU_PROFILE_MATCH (default "controlplane"; several separated by "|") profile. Read the result with
// bench/dist/cpu-profile-summary.js.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env['BENCH_CPU_PROFILE'];
const match = process.env['BENCH_CPU_PROFILE_MATCH'] ?? 'controlplane';
if (dir && match.split('|').some((part) => (process.argv[1] ?? '').includes(part))) {
  const session = new Session();
  session.connect();
  let running = false;
  // An in-thread inspector session answers synchronously, so this also works in an 'exit' handler.
  const stop = (): void => {
    if (!running) return;
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  const start = (): void => {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
  };
  process.on('SIGUSR2', () => (running ? stop() : start()));
  if (process.env['BENCH_CPU_PROFILE_START']) start();
  process.on('exit', stop);
}

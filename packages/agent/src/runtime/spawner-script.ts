// The spawner's own program (see spawner.ts), in Perl: perl-base is
// "Essential: yes" on Debian (always installed, like the shell), and its
// builtins with the small Fcntl and Errno modules are enough, so the helper
// needs no build step and no package (the POSIX module would add 2 MB of RSS
// to the helper: setsid is a syscall by number, or POSIX on an unknown
// architecture, looked up in the child). Hand-written because no npm package starts processes without
// forking the caller (Node's child_process forks the whole agent: see
// spawner.ts). Kept as a string so the compiled agent carries it.
//
// Protocol, on the helper's stdin and stdout (all numbers decimal):
//   request:  "ID FLAGS TIMEOUT_MS NARGS NENV LEN(cwd) LEN(stdin) LEN(outfile) LEN(arg)… LEN(env)…\n"
//             then the fields' bytes back to back: cwd, stdin, outfile, argv (file first), env "K=V".
//             FLAGS: 1 setsid (a detached process), 2 use the env given (else the helper's own),
//             4 capture stdout and stderr (else both go to outfile, appended, or /dev/null).
//   response: "ID CODE SIGNAL LEN(stdout) LEN(stderr)\n" then the bytes; CODE -1 when the
//             command could not be started, with the errno's name as stdout and its message as stderr.
// stdin data must fit a pipe (64 KiB): it is written before the fork, so the helper never blocks.
// The helper ends when its stdin closes (the agent is gone) and its last child has ended.

export const SPAWNER_SCRIPT = String.raw`
use strict; use warnings;
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK O_WRONLY O_APPEND O_CREAT);
use Errno qw(EINTR EAGAIN);
use constant WNOHANG => 1;
my %SYS_setsid = ('x86_64' => 112, 'aarch64' => 157, 'i686' => 66, 'arm' => 66);
my (%jobs, %fds);
fcntl(STDOUT, F_SETFL, fcntl(STDOUT, F_GETFL, 0) | O_NONBLOCK);
my $in = ''; my $eof = 0; my $out = '';
$SIG{CHLD} = sub {}; $SIG{PIPE} = 'IGNORE';
my %errname = map { my $n = eval { no strict 'refs'; &{"Errno::$_"}() }; defined $n ? ($n => $_) : () } qw(ENOENT EACCES ENOEXEC ENOTDIR ELOOP ENAMETOOLONG E2BIG ENOMEM EPERM EISDIR);
# In the child only (Config and POSIX cost the long-lived helper 1-2 MB of RSS each).
sub setsid_now { no warnings 'once'; require Config; my ($arch) = $Config::Config{archname} =~ /^([^-]+)/; my $n = $SYS_setsid{$arch // ''}; if (defined $n) { return syscall($n) >= 0; } require POSIX; return defined POSIX::setsid(); }
sub reply { my ($id, $code, $sig, $o, $e) = @_; $out .= "$id $code $sig " . length($o) . ' ' . length($e) . "\n$o$e"; }
sub start_job {
  my ($id, $flags, $timeout, $cwd, $stdin, $outfile, $argv, $env) = @_;
  my ($ir, $iw, $or, $ow, $er, $ew, $xr, $xw);
  pipe($xr, $xw) or return reply($id, -1, 0, 'EMFILE', "pipe: $!");
  if (length $stdin) { pipe($ir, $iw) or return reply($id, -1, 0, 'EMFILE', "pipe: $!"); syswrite($iw, $stdin); close $iw; }
  if ($flags & 4) { pipe($or, $ow) && pipe($er, $ew) or return reply($id, -1, 0, 'EMFILE', "pipe: $!"); }
  my $pid = fork();
  if (!defined $pid) { return reply($id, -1, 0, 'EAGAIN', "fork: $!"); }
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT';
    close $xr;
    # Fatal before the exec: errno's name and message to the parent, then out (no END blocks here).
    my $fail = sub { my $n = ($! + 0); syswrite($xw, ($errname{$n} // "E$n") . ' ' . $_[0] . ": $!"); exit 127; };
    setsid_now() or $fail->('setsid') if $flags & 1;
    chdir($cwd) or $fail->("chdir $cwd") if length $cwd;
    # Reopening the standard handles keeps their numbers 0-2, which exec keeps open.
    if (defined $ir) { open(STDIN, '<&', $ir) or $fail->('dup stdin'); } else { open(STDIN, '<', '/dev/null') or $fail->('/dev/null'); }
    if ($flags & 4) { open(STDOUT, '>&', $ow) or $fail->('dup stdout'); open(STDERR, '>&', $ew) or $fail->('dup stderr'); }
    elsif (length $outfile) {
      sysopen(my $f, $outfile, O_WRONLY | O_APPEND | O_CREAT, 0600) or $fail->($outfile);
      open(STDOUT, '>&', $f) or $fail->('dup stdout'); open(STDERR, '>&', $f) or $fail->('dup stderr');
    } else { open(STDOUT, '>', '/dev/null') or $fail->('/dev/null'); open(STDERR, '>&', \*STDOUT) or $fail->('dup stderr'); }
    %ENV = map { my ($k, $v) = split /=/, $_, 2; ($k => $v // '') } @$env if $flags & 2;
    my $file = $argv->[0];
    { no warnings 'exec'; exec { $file } @$argv; }
    $fail->("spawn $file");
  }
  close $xw; close $ir if defined $ir;
  # Until the exec (the pipe closes on it) or its failure: a millisecond in this small process.
  my $why = '';
  for (;;) { my $r = sysread($xr, $why, 4096, length $why); last if defined $r ? $r == 0 : $! != EINTR; }
  close $xr;
  if (length $why) { waitpid($pid, 0); my ($name, $msg) = split / /, $why, 2; return reply($id, -1, 0, $name, $msg); }
  my $job = { id => $id, out => '', err => '', open => 0, deadline => $timeout > 0 ? time() + $timeout / 1000 : 0 };
  if ($flags & 4) {
    close $ow; close $ew;
    for ([$or, 'out'], [$er, 'err']) { $fds{fileno($_->[0])} = [$_->[0], $pid, $_->[1]]; $job->{open}++; }
  }
  $jobs{$pid} = $job;
}
sub parse {
  while ((my $nl = index($in, "\n")) >= 0) {
    my @h = split / /, substr($in, 0, $nl);
    my ($id, $flags, $timeout, $nargs, $nenv) = splice(@h, 0, 5);
    my $need = 0; $need += $_ for @h;
    return if length($in) < $nl + 1 + $need;
    my $pos = $nl + 1; my @f;
    for (@h) { push @f, substr($in, $pos, $_); $pos += $_; }
    $in = substr($in, $pos);
    my ($cwd, $stdin, $outfile) = splice(@f, 0, 3);
    my @argv = splice(@f, 0, $nargs);
    start_job($id, $flags, $timeout, $cwd, $stdin, $outfile, \@argv, \@f);
  }
}
sub finish {
  for my $pid (keys %jobs) {
    my $j = $jobs{$pid};
    next unless defined $j->{status} && $j->{open} == 0;
    my $st = $j->{status};
    reply($j->{id}, ($st & 127) == 0 ? $st >> 8 : 'null', $st & 127, $j->{out}, $j->{err});
    delete $jobs{$pid};
  }
}
while (!$eof || %jobs || length $out) {
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1 unless $eof;
  vec($rin, $_, 1) = 1 for keys %fds;
  vec($win, 1, 1) = 1 if length $out;
  # SIGCHLD interrupts the wait; the timeout covers one landing just before it.
  my $n = select(my $rout = $rin, my $wout = $win, undef, %jobs ? 0.02 : undef);
  if ($n > 0) {
    if (!$eof && vec($rout, 0, 1)) {
      my $r = sysread(STDIN, $in, 65536, length $in);
      if (defined $r && $r == 0) { $eof = 1; } elsif ($r) { parse(); }
    }
    for my $fd (keys %fds) {
      next unless vec($rout, $fd, 1);
      my ($fh, $pid, $which) = @{$fds{$fd}};
      my $r = sysread($fh, $jobs{$pid}{$which}, 65536, length $jobs{$pid}{$which});
      if (defined $r && $r == 0) { close $fh; delete $fds{$fd}; $jobs{$pid}{open}--; }
    }
    if (length $out && vec($wout, 1, 1)) {
      my $w = syswrite(STDOUT, $out);
      if (defined $w) { substr($out, 0, $w) = ''; } elsif ($! != EAGAIN && $! != EINTR) { $out = ''; $eof = 1; }
    }
  }
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) { $jobs{$pid}{status} = $? if $jobs{$pid}; }
  my $now = time();
  for my $pid (keys %jobs) { my $d = $jobs{$pid}{deadline}; kill 'KILL', $pid if $d && $now > $d && !defined $jobs{$pid}{status}; }
  finish();
}
`;

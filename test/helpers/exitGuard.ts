/**
 * Jest global teardown: if anything a test left open (a socket, a child process, a reconnecting client) keeps
 * the process alive after the run, say what it is and exit with the run's own result instead of hanging.
 *
 * `npm run test:scale` runs its files in the Jest process itself (maxWorkers 1), so a single handle left open
 * there kept CI waiting until its time limit, after every test had passed. The timer is unref'd: a process
 * with nothing left open exits as usual and never sees it. Jest sets the exit code on 'exit', so
 * `process.exit()` here keeps a failed run failed.
 */
const GRACE_MS = 10_000;

interface HandleLike {
  constructor?: { name?: string };
  remoteAddress?: string;
  remotePort?: number;
  localPort?: number;
  pid?: number;
  spawnfile?: string;
  fd?: number;
  address?: () => unknown;
}

function describeHandle(h: HandleLike): string {
  const name = h.constructor?.name ?? 'handle';
  if (typeof h.pid === 'number') return `${name} pid ${h.pid} (${h.spawnfile ?? '?'})`;
  if (h.remotePort !== undefined) return `${name} ${h.remoteAddress ?? '?'}:${h.remotePort} (local ${h.localPort ?? '?'})`;
  if (typeof h.fd === 'number') return `${name} fd ${h.fd}`;
  if (name === 'Server' && typeof h.address === 'function') return `${name} ${JSON.stringify(h.address())}`;
  return name;
}

export default function exitGuard(globalConfig: { watch?: boolean; watchAll?: boolean }): void {
  // A watching Jest is meant to stay alive.
  if (globalConfig.watch || globalConfig.watchAll) return;
  const timer = setTimeout(() => {
    const proc = process as unknown as { _getActiveHandles?: () => HandleLike[] };
    const handles = (proc._getActiveHandles?.() ?? []).map(describeHandle);
    process.stderr.write(
      `\ntest run finished but the process was still alive ${GRACE_MS / 1000} s later; open: ` +
        `${process.getActiveResourcesInfo().join(', ')}; handles: ${handles.join('; ') || 'none listed'}. Exiting.\n`,
    );
    process.exit();
  }, GRACE_MS);
  timer.unref();
}

/**
 * A redis-server of a test's own, on a free port, that the test may pause (SIGSTOP: the connection stays
 * open and nothing answers), resume (SIGCONT), kill and restart — never the shared test Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from './net';
import { waitFor } from './wait';

export interface OwnRedis {
  port: number;
  url: string;
  pause(): void;
  resume(): void;
  /** SIGKILL; resolves once the process exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const answers = async () => {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        return await probe.ping().then(() => true, () => false);
      } finally {
        probe.disconnect();
      }
    };
    await waitFor(answers, { timeoutMs: 5_000, intervalMs: 50, what: `redis-server on port ${port} to answer` });
  };
  const kill = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    });
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: kill,
  };
}

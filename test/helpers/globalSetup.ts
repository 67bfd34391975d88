/**
 * Jest global setup: checks, before any test runs, that what the suite needs is there, and if not says
 * in one line what to install — instead of every Redis or browser test failing with a stack trace.
 *
 * - Redis answering PING at TEST_REDIS_URL (default redis://127.0.0.1:6379);
 * - the `redis-server` program on PATH (test/bot/http.test.ts starts and stops a Redis of its own);
 * - Chromium at CHROMIUM_PATH (default /usr/bin/chromium) for test/web/resetPage.browser.test.ts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import Redis from 'ioredis';
import { TEST_REDIS_URL } from './redis';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function onPath(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  const problems: string[] = [];
  if (!(await redisAnswers(TEST_REDIS_URL))) {
    problems.push(
      `Redis is not reachable at ${TEST_REDIS_URL} — install and start it (sudo apt-get install redis-server && redis-server --daemonize yes) or set TEST_REDIS_URL`,
    );
  }
  if (!onPath('redis-server')) problems.push('redis-server is not on PATH (test/bot/http.test.ts starts its own) — sudo apt-get install redis-server');
  if (!fs.existsSync(CHROMIUM)) problems.push(`Chromium is not at ${CHROMIUM} — sudo apt-get install chromium, or set CHROMIUM_PATH`);
  if (problems.length > 0) {
    // One line each, no stack trace; exiting here stops Jest before any test runs.
    process.stderr.write(`\nCannot run the tests: ${problems.join('; ')}\n`);
    process.exit(1);
  }
}

/**
 * Global setup of `npm run test:scale`: the cluster and the Sentinel setup must be up, else one line says how
 * to start them (instead of every test timing out).
 */
import Redis from 'ioredis';
import { parseNodeList } from '../../services/redis';
import '../scale/env';

async function answer(host: string, port: number, command: string[]): Promise<string | null> {
  const redis = new Redis(port, host, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return String(await redis.call(command[0] as string, ...command.slice(1)));
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

export default async function globalSetup(): Promise<void> {
  const problems: string[] = [];
  const [first] = parseNodeList(process.env.TEST_REDIS_CLUSTER_NODES ?? '') ?? [];
  const info = first ? await answer(first.host, first.port, ['cluster', 'info']) : null;
  if (!info?.includes('cluster_state:ok')) problems.push(`no healthy Redis Cluster at ${process.env.TEST_REDIS_CLUSTER_NODES} — run scripts/redis-cluster.sh`);
  const [sentinel] = parseNodeList(process.env.TEST_REDIS_SENTINELS ?? '') ?? [];
  const master = sentinel ? await answer(sentinel.host, sentinel.port, ['sentinel', 'get-master-addr-by-name', process.env.TEST_REDIS_SENTINEL_NAME ?? '']) : null;
  if (!master) problems.push(`no Sentinel answering at ${process.env.TEST_REDIS_SENTINELS} for "${process.env.TEST_REDIS_SENTINEL_NAME}" — run scripts/redis-sentinel.sh`);
  if (problems.length > 0) {
    process.stderr.write(`\nCannot run the scale tests: ${problems.join('; ')}\n`);
    process.exit(1);
  }
}

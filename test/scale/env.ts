/**
 * `npm run test:scale` (jest.scale.config.js): the Redis Cluster of scripts/redis-cluster.sh and the Sentinel
 * setup of scripts/redis-sentinel.sh, unless the environment names others. Setting TEST_REDIS_CLUSTER_NODES
 * makes the shared test helpers (test/helpers/redis.ts, host.ts) use the cluster, so the storage, handoff,
 * request-queue and end-to-end recovery tests listed in jest.scale.config.js run against it unchanged.
 */
process.env.TEST_REDIS_CLUSTER_NODES ||= '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';
process.env.TEST_REDIS_SENTINELS ||= '127.0.0.1:7103,127.0.0.1:7104,127.0.0.1:7105';
process.env.TEST_REDIS_SENTINEL_NAME ||= 'portal-bot';

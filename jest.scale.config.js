/**
 * `npm run test:scale`: beyond one machine (issue 11). Needs scripts/redis-cluster.sh and scripts/redis-sentinel.sh
 * running (.ci/run starts them). test/scale/env.ts points the shared helpers at the cluster, so the storage +
 * turn-lock, handoff (queue, staff console and relay), development Direct Line, request queue and end-to-end recovery
 * tests below run against it unchanged; test/scale adds the cluster-specific, Sentinel-failover, two-instance and
 * faults-under-load tests. The exit guard (globalTeardown) comes with the base configuration.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/scale/**/*.test.ts',
    '<rootDir>/test/services/turnState.test.ts',
    '<rootDir>/test/handoff/queue.test.ts',
    // The staff console (claim, transfer, live relay, also between two instances), its live event stream across
    // instances (pub/sub), queue positions, external handoff and the development Direct Line (state in Redis).
    '<rootDir>/test/handoff/staff-console.test.ts',
    '<rootDir>/test/handoff/staff-events.test.ts',
    '<rootDir>/test/handoff/console-actions.test.ts',
    '<rootDir>/test/handoff/positions.test.ts',
    '<rootDir>/test/handoff/external.test.ts',
    '<rootDir>/test/channels/directline.test.ts',
    '<rootDir>/test/services/requests.test.ts',
    '<rootDir>/test/e2e/recover-username.test.ts',
    '<rootDir>/test/e2e/reset-by-email.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  setupFiles: ['<rootDir>/test/scale/env.ts'],
  globalSetup: '<rootDir>/test/scale/globalSetup.ts',
  testTimeout: 60000,
  // One file at a time: the faults run starts two bot processes and load of its own on a 2-core machine.
  maxWorkers: 1,
};

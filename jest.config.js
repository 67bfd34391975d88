/** Jest runs the TypeScript sources through ts-jest without type-checking (tsc --noEmit does that once, in `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/scale needs a Redis Cluster and Sentinel: `npm run test:scale` (jest.scale.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/scale/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // Checks Redis (TEST_REDIS_URL), redis-server and Chromium first; says in one line what to install.
  globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
  // Says what a test left open and exits, instead of hanging, if the run is over but the process is not.
  globalTeardown: '<rootDir>/test/helpers/exitGuard.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};

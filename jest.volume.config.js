/**
 * The volume suites, apart from `npm test`: `npm run test:chaos` (test/chaos) and `npm run test:fuzz`
 * (test/fuzz). Same transform and global setup as the default config; one test file at a time, long timeouts.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/chaos/**/*.test.ts', '<rootDir>/test/fuzz/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 20 * 60_000,
  maxWorkers: 1,
};

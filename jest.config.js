/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The chaos and fuzz suites run on their own (jest.volume.config.js: npm run test:chaos, test:fuzz).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/', '<rootDir>/test/fuzz/'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // oauth4webapi and jose (runtime) and @octokit/webhooks-methods (GitHub's signing library, a test
  // dependency) ship only ECMAScript modules; swc turns them into CommonJS for jest. The octokit package
  // exports its module under the `import` condition alone, so jest is pointed at that file.
  transformIgnorePatterns: ['/node_modules/(?!(oauth4webapi|jose|@octokit/webhooks-methods)/)'],
  moduleNameMapper: {
    '^@octokit/webhooks-methods$': '<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js',
  },
  // One Temporal dev server and one workflow bundle per test run.
  globalSetup: '<rootDir>/test/setup/globalSetup.ts',
  globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
  testTimeout: 120_000,
  maxWorkers: 2,
};

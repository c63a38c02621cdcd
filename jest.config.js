/** One test command for the whole repo. Tests that start Kafka brokers are named *.int.test.ts. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is `npm run build`; jest only transpiles, which keeps the suite fast on 2 cores.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  testTimeout: 60_000,
};

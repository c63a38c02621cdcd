/**
 * One test command for the whole repo (`npm test` runs every project). Tests that start Kafka brokers (and so need
 * Java) are named *.int.test.ts: the `integration` project. `npm run test:unit` runs the `unit` project alone: fast,
 * no Java, no brokers. The fault-injection suites (*.faults.ts) run only through `npm run test:faults`.
 */
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Type checking is `npm run build`; jest only transpiles, which keeps the suite fast on 2 cores.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
};

module.exports = {
  testTimeout: 60_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'] },
    { ...base, displayName: 'integration', testMatch: ['**/*.int.test.ts'] },
  ],
};

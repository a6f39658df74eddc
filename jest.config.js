/** Jest: unit tests beside the code; integration tests need the servers started by `npm test`. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/{apps,libs,models,activities,workflows,pipelines}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.mlops/'],
  testTimeout: 30_000,
  maxWorkers: 2,
};

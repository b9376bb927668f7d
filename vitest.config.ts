import { defineConfig } from 'vitest/config';

const unitTests = [
  'infra/*/src/**/*.test.ts',
  'producers/*/src/**/*.test.ts',
  'platform/*/src/**/*.test.ts',
  'processors/*/src/**/*.test.ts',
  'consumers/*/src/**/*.test.ts',
  'schemas/**/*.test.ts',
  // The chaos harness's pure accounting (the harness itself runs as `pnpm chaos` and in e2e).
  'test/chaos/**/*.test.ts',
];

/**
 * Workspace packages resolve to their TypeScript sources (the `auditflow-source` condition of
 * their package.json exports), not to the built dist/ that plain node runs. Vitest 4 runs tests
 * in Vite's ssr environment: ssr.resolve.conditions is what decides there (resolve.conditions
 * alone still resolves dist/), and Vitest passes the same list to its workers as --conditions,
 * so modules node loads itself resolve alike. Setting conditions replaces Vite's defaults, so
 * they follow (less `module`, as Vitest does).
 */
const conditions = ['auditflow-source', 'node', 'development|production'];
const sources = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['auditflow-source'] } },
};

export default defineConfig({
  test: {
    projects: [
      {
        ...sources,
        test: {
          name: 'unit',
          include: unitTests,
          exclude: ['**/node_modules/**'],
        },
      },
      {
        ...sources,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/kafka-codecs.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Two cores: more parallel files only contend with the servers under test.
          maxWorkers: 2,
        },
      },
      {
        ...sources,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/kafka-codecs.ts'],
          testTimeout: 120_000,
          hookTimeout: 360_000,
          // Every pipeline service runs as a process: after the integration files, alone.
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
        },
      },
    ],
  },
});

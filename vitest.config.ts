import { defineConfig } from 'vitest/config';

const sources = [
  'infra/*/src/**/*.test.ts',
  'producers/*/src/**/*.test.ts',
  'processors/*/src/**/*.test.ts',
  'consumers/*/src/**/*.test.ts',
  'schemas/**/*.test.ts',
  // The chaos harness's pure accounting (the harness itself runs as `pnpm chaos` and in e2e).
  'test/chaos/**/*.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: sources,
          exclude: ['**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Two cores: more parallel files only contend with the servers under test.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
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

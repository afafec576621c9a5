import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests run against package sources (the `@runnel/source` export condition), so a change in one
// package is seen by the tests of the packages above it without a build step.
// Without vite's `module` condition, which Node never uses: @opentelemetry/api's `module` build has
// extensionless imports that Node cannot load.
const conditions = ['@runnel/source', ...defaultServerConditions.filter((c) => c !== 'module')];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,apps,tools}/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{packages,apps,tools}/*/src/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['tools/kafka/src/vitest-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Integration tests share one broker on a 2-core machine: run files one at a time so
          // timing-sensitive group tests are not starved by their neighbours.
          fileParallelism: false,
        },
      },
    ],
  },
});

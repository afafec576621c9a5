import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The fault suite: its own config so `npm test` never runs it. Harness code resolves the workspace
// packages from source, as the other tests do; the members run the built verifiable consumer.
const conditions = ['@runnel/source', ...defaultServerConditions];
const reports = process.env.RUNNEL_REPORT_DIR;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/scenarios/**/*.scenario.ts'],
    globalSetup: ['src/harness/global-setup.ts'],
    // One cluster per file, one file at a time: the scenarios measure recovery times on 2 cores.
    fileParallelism: false,
    testTimeout: 15 * 60_000,
    hookTimeout: 300_000,
    ...(reports
      ? {
          reporters: ['default', 'json'],
          outputFile: { json: `${reports}/${process.env.FAULTS_SET === 'ci' ? 'faults-ci' : 'faults'}.json` },
        }
      : {}),
  },
});

import { defineConfig } from 'vitest/config';

// One Vitest project per package; `npm test` runs them all.
export default defineConfig({
  test: {
    projects: ['shared', 'edge', 'cloud', 'devices-sim', 'test'],
    passWithNoTests: true,
    testTimeout: 30_000,
  },
});

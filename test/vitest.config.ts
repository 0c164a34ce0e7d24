import { defineProject } from 'vitest/config';

// Cross-package tests run against the built packages (npm test builds first).
export default defineProject({
  test: { name: 'test', include: ['**/*.test.ts'], exclude: ['node_modules/**', 'bench/**'], testTimeout: 120_000, hookTimeout: 60_000 },
});

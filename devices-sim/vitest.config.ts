import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'devices-sim', include: ['src/**/*.test.ts'] },
});

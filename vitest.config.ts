import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real loopback servers (dynalite, the bus endpoint); keep the
    // pool small on this 2-core machine so they do not starve each other.
    maxWorkers: 2,
    testTimeout: 30_000,
    // The pinned SDK works on Node 20; its notice about releases after January 2027 is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    hookTimeout: 60_000,
  },
});

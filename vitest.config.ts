import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real loopback servers (dynalite, the bus endpoint); keep the
    // pool small on this 2-core machine so they do not starve each other.
    maxWorkers: 2,
    testTimeout: 30_000,
    // A green run prints little: the pinned SDK's notice about releases after January 2027 is
    // noise here; the functions log errors only (the local runtime defaults to WARN); the
    // notifier's console copy of unconfigured channels stays quiet (the file copy is kept).
    // A test about that output sets its own level or unsets ERPGOV_QUIET.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', ERPGOV_QUIET: '1' },
    hookTimeout: 60_000,
  },
});

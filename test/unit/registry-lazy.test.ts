/**
 * The contract builds a detail schema on its first use, not at module load (a Lambda validates
 * only the types routed to it). Counted through zod/mini's object constructor: every detail schema
 * is a `z.looseObject`.
 */
import { describe, expect, it, vi } from 'vitest';

const built = vi.hoisted(() => ({ objects: 0 }));
vi.mock('zod/mini', async (importOriginal) => {
  const zod = await importOriginal<typeof import('zod/mini')>();
  return {
    ...zod,
    looseObject: ((...args: Parameters<typeof zod.looseObject>) => {
      built.objects++;
      return zod.looseObject(...args);
    }) as typeof zod.looseObject,
  };
});

describe('contract registry: detail schemas built on first use', () => {
  it('loads and lists the registry without building a detail schema, then builds one type once on its first validation', async () => {
    const { detailTypesByArea, knownDetailTypes, registry, validateDetail } = await import('../../schemas/registry.ts');
    expect(knownDetailTypes.length).toBeGreaterThan(30);
    expect(detailTypesByArea.access).toContain('Login');
    expect(registry.get('Login')?.controls).toEqual(['2.2', '6.1', '6.4']);
    expect(built.objects).toBe(0);

    const login = { schemaVersion: 1, account: 'u1001', deviceId: 'aa:bb:cc:dd:ee:ff', outcome: 'success' };
    expect(validateDetail('Login', login).ok).toBe(true);
    expect(built.objects).toBe(1);
    expect(validateDetail('Login', { ...login, account: ' ' }).ok).toBe(false);
    expect(registry.get('Login')?.version).toBe(1);
    expect(built.objects).toBe(1);
  });

  it('configures zod\'s English messages with the contract alone (zod/mini ships none)', async () => {
    const { config } = await import('zod/v4/core');
    await import('../../schemas/registry.ts');
    expect(config().localeError?.({ code: 'custom', input: 1, path: [] } as never)).toBe('Invalid input');
  });
});

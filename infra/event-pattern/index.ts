// PLACEHOLDER until the matcher lands: same API, no semantics.
export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternError';
}
export interface CompiledEventPattern {
  readonly pattern: Record<string, unknown>;
  matches(event: unknown): boolean;
}
export function compileEventPattern(pattern: unknown): CompiledEventPattern {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
    throw new InvalidEventPatternError('pattern must be a JSON object');
  }
  return { pattern: pattern as Record<string, unknown>, matches: () => false };
}
export function matches(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event);
}

/**
 * The pipeline's errors: one base with a `cause`, split by what retrying can do.
 *
 * - `PermanentError`: retrying cannot fix it — a bad event, a bad policy, a missing
 *   configuration. The bus dead-letters the delivery at once; start-up and synth stop.
 * - `TransientError`: the world may be different in a moment — a lease held by another
 *   writer, a peer that refused an entry. The bus retries with back-off.
 *
 * Anything that is not a `PipelineError` (a network failure, a throttled SDK call) is
 * treated as transient. Retryability is decided by type (`isRetryable`), never by name.
 * This module sits in the lowest layer so that the contract, infra, the runtime and the
 * functions can all use it.
 */
import { $ZodError } from 'zod/v4/core';

export abstract class PipelineError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Retrying cannot fix it. */
export class PermanentError extends PipelineError {
  readonly retryable = false;
}

/** It may succeed if tried again later. */
export class TransientError extends PipelineError {
  readonly retryable = true;
}

/** The event cannot be handled as it is (not an EventBridge event, breaks its contract, not routed here). */
export class InvalidEventError extends PermanentError {}

/** A required setting is missing or wrong: fail fast with its name. */
export class ConfigurationError extends PermanentError {}

/** Whether retrying `err` can help: by type, with validation errors from zod counted as permanent. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof PipelineError) return err.retryable;
  // zod's own errors (a schema parse outside the contract door) are validation errors too;
  // the core class is the base of both classic zod's and zod/mini's.
  if (err instanceof $ZodError) return false;
  return true;
}

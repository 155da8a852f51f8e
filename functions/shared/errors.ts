/** Errors a handler throws on purpose. */

/** The event cannot be handled as it is: retrying cannot fix it, so the bus dead-letters it at once. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
  readonly retryable = false;
}

/**
 * Ports the decision code depends on. Adapters (DynamoDB, EventBridge, the system clock)
 * implement them; unit tests pass fakes. Ports never import their adapters.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** An event the pipeline puts back on the bus (a finding, a command). */
export interface OutgoingEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly resources?: readonly string[];
}

export interface EventPublisher {
  publish(events: readonly OutgoingEvent[]): Promise<void>;
}

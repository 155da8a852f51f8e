/**
 * Ports the decision code depends on. Adapters (DynamoDB, EventBridge)
 * implement them; unit tests pass fakes. Ports never import their adapters.
 */
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

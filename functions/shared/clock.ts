/**
 * Where "now" comes from. Decision code takes `now` as an argument; flows and handlers take
 * it from a `Clock`. Deployed, that is the system clock. The local runtime may install
 * another one for the whole process (`installClock`): a virtual clock that `erpgov
 * simulate` moves from event to event, so a month of events runs in seconds and every
 * sweep, deadline and report sees the simulated time.
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that always says `at` (tests). */
export const fixedClock = (at: Date | string): Clock => {
  const fixed = new Date(at).getTime();
  return { now: () => new Date(fixed) };
};

/** A clock a driver moves by hand: never backwards, so state keyed by time stays ordered. */
export class ManualClock implements Clock {
  #at: number;
  constructor(start: Date | string) {
    this.#at = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#at);
  }
  /** Moves to `at` when it is later than the clock's time; earlier times are ignored. */
  advanceTo(at: Date | string): void {
    this.#at = Math.max(this.#at, new Date(at).getTime());
  }
}

let installed: Clock = systemClock;

/** The process's clock: the system clock unless a runtime installed another. */
export const processClock: Clock = { now: () => installed.now() };

/** Makes `clock` the process's clock; returns a function that puts the previous one back. */
export function installClock(clock: Clock): () => void {
  const previous = installed;
  installed = clock;
  return () => {
    installed = previous;
  };
}

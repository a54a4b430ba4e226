/** The clock for stored timestamps and token decisions; tests pin it. Rate limits use real time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

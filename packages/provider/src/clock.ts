/** Where the runtime reads the time. Tests inject one to skip time; core never reads it. */
export interface Clock {
  now(): Date
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() }

import { performance } from 'node:perf_hooks';

/** This process's clock in ms since the epoch, monotonic while the process runs (wall-clock steps do not move it). */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The offset between another clock (the database's) and this process's, from round trips that read it
 * (NTP's idea, simplified): the reading was taken somewhere between sending and receiving, so each round
 * trip bounds the offset within half its duration. The sample from the fastest recent round trip is kept;
 * one older than `maxAgeMs` gives way to the next, so drift is followed.
 */
export class ClockOffset {
  private best: { offsetMs: number; roundTripMs: number; at: number } | undefined;

  constructor(private readonly maxAgeMs = 30_000) {}

  /** A reading `remoteMs` of the other clock, taken between `sentAt` and `receivedAt` on this one. */
  sample(remoteMs: number, sentAt: number, receivedAt: number): void {
    const roundTripMs = receivedAt - sentAt;
    const offsetMs = remoteMs - (sentAt + receivedAt) / 2;
    const best = this.best;
    if (!best || roundTripMs <= best.roundTripMs || receivedAt - best.at > this.maxAgeMs) {
      this.best = { offsetMs, roundTripMs, at: receivedAt };
    }
  }

  /** A time on the other clock, on this one. */
  toLocal(remoteMs: number): number {
    return remoteMs - (this.best?.offsetMs ?? 0);
  }

  /** How far off `toLocal` may be, in ms (half the kept round trip). */
  get uncertaintyMs(): number {
    return (this.best?.roundTripMs ?? Number.POSITIVE_INFINITY) / 2;
  }
}

import { performance } from 'node:perf_hooks';

/** This process's clock in ms since the epoch, monotonic while the process runs (wall-clock steps do not move it). */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

interface Sample {
  offsetMs: number;
  roundTripMs: number;
}

/**
 * The offset between another clock (the database's) and this process's, from round trips that read it
 * (NTP's idea, simplified): the reading was taken somewhere between sending and receiving, so each round
 * trip bounds the offset within half its duration. The fastest of the last `window` round trips is used,
 * so the estimate follows drift and a slow round trip (a busy moment) does not spoil it.
 */
export class ClockOffset {
  private readonly samples: Sample[] = [];

  constructor(private readonly window = 32) {}

  /** A reading `remoteMs` of the other clock, taken between `sentAt` and `receivedAt` on this one. */
  sample(remoteMs: number, sentAt: number, receivedAt: number): void {
    this.samples.push({ offsetMs: remoteMs - (sentAt + receivedAt) / 2, roundTripMs: receivedAt - sentAt });
    if (this.samples.length > this.window) this.samples.shift();
  }

  private best(): Sample | undefined {
    let best: Sample | undefined;
    for (const sample of this.samples) if (!best || sample.roundTripMs <= best.roundTripMs) best = sample;
    return best;
  }

  /** A time on the other clock, on this one. */
  toLocal(remoteMs: number): number {
    return remoteMs - (this.best()?.offsetMs ?? 0);
  }

  /** How far off `toLocal` may be, in ms (half the fastest round trip). */
  get uncertaintyMs(): number {
    return (this.best()?.roundTripMs ?? Number.POSITIVE_INFINITY) / 2;
  }
}

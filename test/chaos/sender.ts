import { Pool } from 'undici';
import type { ChaosEvent } from './events';

/** One HTTP attempt: the fault in progress when it was sent, how long it took, and what came back. */
interface Attempt {
  phase: string;
  ms: number;
  outcome: number | 'connection_error';
}

/** What happened to one copy of an event, from the first attempt to the 2xx. */
export interface CopyResult {
  event: ChaosEvent;
  /**
   * `accepted` or `duplicate`, from the 202 that ended it (`acknowledged`: Twilio's 200 TwiML, which does not
   * say which); undefined if it never got one.
   */
  answer?: 'accepted' | 'duplicate' | 'acknowledged';
  /** It was answered 503 at least once before that. */
  saw503: boolean;
  /** Answers that no fault explains (4xx, 500): must stay empty. */
  unexpected: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends webhooks as a provider does: on a connection error, a 503 or any 5xx it keeps the event and sends it
 * again after a short pause (sooner than the 10 s `Retry-After`, to keep the run short), each time signed
 * afresh, until a 2xx or the run's deadline.
 */
export class Sender {
  readonly attempts: Attempt[] = [];
  /** The faults in progress: each attempt is labelled with them (or `steady`). */
  readonly active = new Set<string>();
  private readonly pool: Pool;

  constructor(
    url: string,
    private readonly deadline: number,
  ) {
    this.pool = new Pool(url, { connections: 64, headersTimeout: 30_000, bodyTimeout: 30_000 });
  }

  async send(event: ChaosEvent): Promise<CopyResult> {
    const result: CopyResult = { event, saw503: false, unexpected: [] };
    while (Date.now() < this.deadline) {
      const request = await event.sign();
      const phase = this.active.size > 0 ? [...this.active].join(' + ') : 'steady';
      const started = performance.now();
      try {
        const response = await this.pool.request({
          method: 'POST',
          path: request.path,
          headers: request.headers,
          body: request.body,
        });
        const text = await response.body.text();
        this.attempts.push({ phase, ms: performance.now() - started, outcome: response.statusCode });
        if (response.statusCode === 202) {
          result.answer = (JSON.parse(text) as { status: 'accepted' | 'duplicate' }).status;
          return result;
        }
        if (response.statusCode === 200 && /<Response>/.test(text)) {
          // Twilio's acknowledgement (empty TwiML) does not say whether the event was new.
          result.answer = 'acknowledged';
          return result;
        }
        if (response.statusCode === 503) result.saw503 = true;
        else result.unexpected.push(`${response.statusCode} ${text.slice(0, 200)}`);
        if (response.statusCode < 500) return result;
        await pause(500 + Math.random() * 500);
      } catch {
        this.attempts.push({ phase, ms: performance.now() - started, outcome: 'connection_error' });
        await pause(300 + Math.random() * 300);
      }
    }
    return result;
  }

  /** Per phase: attempts, 202s, 503s, connection errors, p50 and p99 of the attempts' latency. */
  phaseTable(): string[][] {
    const phases = [...new Set(this.attempts.map((a) => a.phase))];
    return phases.map((phase) => {
      const list = this.attempts.filter((a) => a.phase === phase);
      const ms = list.map((a) => a.ms).sort((a, b) => a - b);
      const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] ?? NaN;
      const count = (outcome: Attempt['outcome']) => String(list.filter((a) => a.outcome === outcome).length);
      return [
        phase,
        String(list.length),
        count(202),
        count(503),
        count('connection_error'),
        at(0.5).toFixed(1),
        at(0.99).toFixed(1),
      ];
    });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

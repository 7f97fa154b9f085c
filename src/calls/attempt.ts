import type { Logger } from '../logging/logger';
import type { CallProviderInput } from '../shared/calls';
import type { CallProvider } from './settings';

/** What every step of one `callProvider` attempt works from. */
export interface CallAttempt {
  provider: CallProvider;
  input: CallProviderInput;
  /** Temporal's attempt number (1 = first). */
  attempt: number;
  /** The attempt's logger, bound to its workflow, provider, connection and request. */
  log: Logger;
  /** The activity's cancellation: it ends pacing waits and the HTTP exchange. */
  cancellation: AbortSignal;
}

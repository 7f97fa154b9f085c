/**
 * Integration health: facts gathered from what Junction already knows (connection workflows, the visibility
 * store, the breaker and the metrics registry) and the verdict on each entity. Pure types, shared by the
 * fact sources, the rules, the HTTP route and `junction status`.
 */

export type HealthStatus = 'healthy' | 'degraded' | 'failing';

export const STATUS_ORDER: Record<HealthStatus, number> = { healthy: 0, degraded: 1, failing: 2 };

/** The worse of the statuses given (`healthy` for none). */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'healthy';
  for (const status of statuses) if (STATUS_ORDER[status] > STATUS_ORDER[worst]) worst = status;
  return worst;
}

/** Counts over one window (the last 5 or 60 minutes, or since the process started when it is younger). */
export interface WindowCounts {
  /** The window's length in minutes, and how much of it this process has seen (minutes, ≤ the length). */
  minutes: number;
  coveredMinutes: number;
  total: number;
  errors: number;
  throttled: number;
}

export interface ConnectionFacts {
  connectionId: string;
  providerId: string;
  mode?: string;
  state: 'pending' | 'active' | 'needs_reauth' | 'deleted' | 'stuck';
  /** ISO time the access token expires; absent when it does not expire. */
  expiresAt?: string;
  lastRefreshAt?: string;
  refreshCount?: number;
  /** The last refresh's failure, if the last one failed (from the connection's own status). */
  lastError?: { code: string; message: string };
  reauthReason?: string;
  createdAt?: string;
  /** `query`: the workflow answered its status query; `memo`: only its visibility memo was available. */
  detail: 'query' | 'memo';
}

export interface ProviderFacts {
  providerId: string;
  breaker?: { state: 'closed' | 'half_open' | 'open'; openSince?: string };
  /** Provider call attempts over the last 5 and 60 minutes (in this process). */
  calls?: { last5m: WindowCounts; last60m: WindowCounts; perMinute: number };
  /** The declared limit, as calls per minute (from `calls.rateLimit.perSecond`). */
  rateLimitPerMinute?: number;
  /** Token endpoint requests over the last 60 minutes (in this process): failures by code. */
  tokenRequests?: { last60m: { total: number; failed: number; failures: Record<string, number> } };
  connections?: { total: number; byState: Record<string, number> };
}

export interface SourceFacts {
  sourceId: string;
  /** Executions of this source waiting in the dead letters (a visibility count). */
  deadLetters?: number;
  /** When a webhook was last accepted for it (in this process). */
  lastReceivedAt?: string;
  /** Requests over the last 5 and 60 minutes by outcome class (in this process). */
  requests?: {
    last5m: SourceWindow;
    last60m: SourceWindow;
  };
}

export interface SourceWindow {
  minutes: number;
  coveredMinutes: number;
  accepted: number;
  signatureFailures: number;
  /** Answered 503: Temporal was unreachable and the sender was asked to redeliver. */
  unavailable: number;
  otherErrors: number;
}

/** A sync stream's facts, for when a sync module plugs in a source of them (see `HealthFactSource`). */
export interface SyncFacts {
  connectionId: string;
  syncName: string;
  /** Seconds since the stream last completed a pass (or an incremental page). */
  lagSeconds?: number;
  /** How often the stream is meant to run, in seconds. */
  intervalSeconds?: number;
  paused?: boolean;
  lastError?: { code: string; message: string };
  conflictsWaiting?: number;
  /** Deletes a sweep parked over the mass-delete guard, waiting for approve or reject. */
  parkedDeletes?: number;
}

/** What one source of facts contributes; entities of the same kind and id are merged. */
export interface HealthFacts {
  connections?: ConnectionFacts[];
  providers?: ProviderFacts[];
  sources?: SourceFacts[];
  syncs?: SyncFacts[];
}

/**
 * The seam where facts come in: the connection workflows, the call metrics and the webhook counters are one
 * source each, and a sync module adds its own (sync lag, conflicts) with `HealthService.addSource`.
 */
export interface HealthFactSource {
  name: string;
  collect(now: number): Promise<HealthFacts>;
}

export interface EntityHealth<F> {
  id: string;
  status: HealthStatus;
  /** Why, in words a person can act on; empty when healthy. */
  reasons: string[];
  facts: F;
}

export interface HealthReport {
  status: HealthStatus;
  checkedAt: string;
  /** Where the facts come from and what they cover (see docs/health.md). */
  scope: {
    instance: string;
    /** In-process counters (rates, breakers, last received) cover this process since this time. */
    countersSince: string;
    /** Fact sources that failed; their entities are missing or partial. */
    unavailable: Array<{ source: string; message: string }>;
  };
  summary: Record<'connections' | 'providers' | 'sources' | 'syncs', Record<HealthStatus, number>>;
  connections: Array<EntityHealth<ConnectionFacts>>;
  providers: Array<EntityHealth<ProviderFacts>>;
  sources: Array<EntityHealth<SourceFacts>>;
  syncs: Array<EntityHealth<SyncFacts>>;
}

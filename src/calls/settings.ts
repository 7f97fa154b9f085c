import { z } from 'zod';
import { PROVIDER_RETRY_PRESETS, type ProviderRetryPreset } from '../shared/retryPresets';

const presetNames = Object.keys(PROVIDER_RETRY_PRESETS) as [ProviderRetryPreset, ...ProviderRetryPreset[]];

export const retrySettingsSchema = z
  .object({
    initialIntervalMs: z.number().int().positive(),
    backoffCoefficient: z.number().min(1).max(10),
    maximumIntervalMs: z.number().int().positive(),
    maximumAttempts: z.number().int().min(1).max(1_000),
  })
  .strict();

/** A retry preset by name, or explicit settings. */
export const retryChoiceSchema = z.union([z.enum(presetNames), retrySettingsSchema]);

export const quotaHeadersSchema = z
  .object({
    remainingHeader: z.string().min(1).default('x-ratelimit-remaining'),
    resetHeader: z.string().min(1).default('x-ratelimit-reset'),
    resetFormat: z.enum(['epoch-seconds', 'delta-seconds', 'epoch-ms']).default('epoch-seconds'),
    /** Slow down (wait for the reset) once the provider reports this many calls or fewer left. */
    slowDownBelow: z.number().int().min(0).default(1),
  })
  .strict();

export const rateLimitSchema = z
  .object({
    /** The provider's limit: calls per second across every worker (enforced by the Temporal server). */
    perSecond: z.number().positive().optional(),
    /**
     * `strict`: never more than `perSecond` calls in any one-second window (a shared limiter in PostgreSQL
     * spaces the calls when a database is configured; without one, the task queue alone at 45 %, since the
     * server's limiter is a token bucket whose burst equals its rate). `average`: perSecond on average, with
     * bursts up to twice that in a second.
     */
    mode: z.enum(['strict', 'average']).default('strict'),
    /** A budget per connection on top, enforced in each worker process. */
    perConnectionPerSecond: z.number().positive().optional(),
    quotaHeaders: quotaHeadersSchema.optional(),
  })
  .strict();

export const breakerSchema = z
  .object({
    /** Opens after this many consecutive failures (5xx, timeouts, network errors; not 4xx or 429). */
    consecutiveFailures: z.number().int().min(1).default(5),
    /** … or when this share of calls fails over `windowMs`, once there is enough traffic. */
    failureRatio: z.number().gt(0).lt(1).default(0.5),
    windowMs: z.number().int().positive().default(30_000),
    /** Calls per second below which the ratio is not considered (too little traffic to judge). */
    minimumRps: z.number().positive().default(2),
    /** How long it stays open before letting one probe through. */
    halfOpenAfterMs: z.number().int().positive().default(30_000),
  })
  .strict();

const paginationSchema = z.discriminatedUnion('style', [
  z
    .object({
      style: z.literal('cursor'),
      /** Query parameter that carries the cursor. */
      cursorParam: z.string().default('cursor'),
      /** Dotted path of the next cursor in the response body; absent/null/"" ends the listing. */
      nextCursorPath: z.string().default('next_cursor'),
      /** Instead: the cursor is this field of the page's last item (Stripe's `starting_after` = last `id`). */
      nextCursorFromLastItem: z.string().optional(),
      /** Dotted path of a boolean that says whether more pages follow (Stripe's `has_more`). */
      hasMorePath: z.string().optional(),
      itemsPath: z.string().default('data'),
      limitParam: z.string().optional(),
    })
    .strict(),
  z
    .object({
      style: z.literal('link'),
      /** RFC 8288 `Link` header with `rel="next"`; items are the body or a path in it. */
      itemsPath: z.string().optional(),
      limitParam: z.string().optional(),
    })
    .strict(),
  z
    .object({
      style: z.literal('page'),
      pageParam: z.string().default('page'),
      firstPage: z.number().int().min(0).default(1),
      itemsPath: z.string().optional(),
      limitParam: z.string().optional(),
    })
    .strict(),
  z
    .object({
      style: z.literal('offset'),
      offsetParam: z.string().default('offset'),
      limitParam: z.string().default('limit'),
      itemsPath: z.string().default('items'),
      /** Dotted path of the total count, when the provider reports it. */
      totalPath: z.string().optional(),
    })
    .strict(),
]);

/** How Junction calls a provider's API: the call-related part of a provider declaration. */
export const callSettingsSchema = z
  .object({
    retry: retryChoiceSchema.default('standard'),
    timeouts: z
      .object({
        connectMs: z.number().int().positive().default(5_000),
        headersMs: z.number().int().positive().default(30_000),
        bodyMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .prefault({}),
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    rateLimit: rateLimitSchema.optional(),
    breaker: breakerSchema.prefault({}),
    pagination: paginationSchema.optional(),
  })
  .strict();

export type CallSettings = z.output<typeof callSettingsSchema>;
export type BreakerSettings = z.output<typeof breakerSchema>;
export type PaginationSettings = NonNullable<CallSettings['pagination']>;
export type QuotaSettings = z.output<typeof quotaHeadersSchema>;

/** What a call needs to know about a provider: where its API is and how to call it. */
export interface CallProvider {
  id: string;
  apiBaseUrl: string;
  calls: CallSettings;
}

/**
 * Share of the provider's limit a strict task queue is set to when nothing else paces the provider across
 * workers. Temporal's task-queue limiter is a token bucket whose burst equals its rate, so one second can
 * see burst + rate dispatches: half the limit keeps that within the limit, and the rest of the margin
 * absorbs jitter between dispatch and arrival.
 */
export const STRICT_RATE_SHARE = 0.45;

/**
 * The `maxTaskQueueActivitiesPerSecond` for a provider's task queue (see {@link STRICT_RATE_SHARE}). With a
 * shared limiter (`sharedShare`: the share of the limit it hands out) the queue dispatches at that same rate:
 * the limiter spaces the calls, and the queue keeps the backlog of waiting activities short.
 */
export function taskQueueRate(settings: CallSettings, sharedShare?: number): number | undefined {
  const limit = settings.rateLimit?.perSecond;
  if (!limit) return undefined;
  if (settings.rateLimit?.mode === 'average') return limit;
  return limit * (sharedShare ?? STRICT_RATE_SHARE);
}

import { z } from 'zod';
import { SYNC_NOTIFY_SOURCE } from '../shared/syncContract';
import { adminSchema, codecSchema } from './access';
import { connectionsSchema, providersSchema } from './connectionSettings';
import { rateLimitsSchema } from './rateLimitSettings';
import { syncsSchema } from './syncSettings';
import { SCHEME_IDS } from '../webhooks/schemes';
import { schemeConfigIssues } from '../webhooks/schemes/configRules';
import { headerName, httpUrl, identifier, signingSecrets, uniqueNames } from './primitives';
import { isCidr } from '../network/destinations';

/** Event-type globs are matched with picomatch; an empty glob would silently match nothing. */
const eventGlob = z.string().min(1, 'an event pattern must not be empty');

/** Exponential backoff, capped: the declarative retry preset for deliveries to the application. */
export const retryPolicySchema = z
  .object({
    initialIntervalMs: z.number().int().positive().default(1_000),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    maximumIntervalMs: z.number().int().positive().default(300_000),
    maximumAttempts: z.number().int().min(1).max(1_000).default(10),
  })
  .strict();

export const forwardTargetSchema = z
  .object({
    url: httpUrl,
    headers: z.record(headerName, z.string()).default({}),
    timeoutMs: z.number().int().positive().max(600_000).default(10_000),
    /** Standard Webhooks secrets that sign each forward (default: `delivery.signingSecrets`). */
    signingSecrets: signingSecrets.optional(),
  })
  .strict();

/** Starts the application's own workflow (any SDK) on its task queue with the verified event. */
export const workflowTargetSchema = z
  .object({
    /** The workflow type name the application's worker registers. */
    type: z.string().min(1, 'must name a workflow type'),
    taskQueue: z.string().min(1, 'must name the task queue the application polls'),
    /** Extra arguments passed after the event. */
    args: z.array(z.unknown()).default([]),
    /** Bounds one start call against Temporal. */
    timeoutMs: z.number().int().positive().max(600_000).default(10_000),
  })
  .strict();

/** A dot path into the payload (`data.object.customer`, `items.0.id`). */
const payloadPath = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a dot path into the payload, e.g. data.object.customer');

/**
 * Hands a provider's webhook to a sync stream (`sync:<connection>:<sync>`): the changed record(s) at
 * `records` (the whole payload when neither path is given), or an id at `refetch` to fetch again. The
 * stream applies them between its pages; the newer version wins in the store.
 */
export const syncTargetSchema = z
  .object({
    /** Where the connection id is in the payload. */
    connection: payloadPath,
    sync: z.string().min(1),
    records: payloadPath.optional(),
    refetch: payloadPath.optional(),
    timeoutMs: z.number().int().positive().max(600_000).default(10_000),
  })
  .strict()
  .refine((target) => !(target.records && target.refetch), {
    message: 'a sync target takes `records` or `refetch`, not both',
  });

const targetSchema = z
  .object({
    name: identifier.optional(),
    forward: forwardTargetSchema.optional(),
    workflow: workflowTargetSchema.optional(),
    sync: syncTargetSchema.optional(),
  })
  .strict()
  .superRefine((target, ctx) => {
    const kinds = [target.forward, target.workflow, target.sync].filter((kind) => kind !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'a target is exactly one of `forward`, `workflow` or `sync`' });
    }
  });

export const routeSchema = z
  .object({
    name: identifier.optional(),
    events: z.array(eventGlob).min(1, 'a route needs at least one event pattern'),
    /** Shorthand for a single forward target named `forward`. */
    forward: forwardTargetSchema.optional(),
    targets: z.array(targetSchema).optional(),
    /** Events with the same value here are delivered one at a time, in arrival order. */
    orderingKey: payloadPath.optional(),
    /** A module whose default export maps the event's payload before delivery (a pure function). */
    transform: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((route, ctx) => {
    if (route.forward === undefined && (route.targets === undefined || route.targets.length === 0)) {
      ctx.addIssue({ code: 'custom', message: 'a route needs `forward` or at least one entry in `targets`' });
    }
  });

/** A JSON Schema, inline or as a file path (relative to the config file). */
const eventSchemaRef = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

export const sourceSchema = z
  .object({
    id: identifier,
    /** A signature scheme from the registry in src/webhooks/schemes. */
    scheme: z.enum(SCHEME_IDS),
    /** HMAC secrets (and, for Standard Webhooks, `whpk_` ed25519 public keys); several for rotation. */
    secrets: z.array(z.string().min(1, 'must not be empty')).optional(),
    /** SendGrid verification keys. */
    publicKeys: z.array(z.string().min(1, 'must not be empty')).optional(),
    /** The URL the provider signs (Twilio), as configured at the provider. */
    publicUrl: httpUrl.optional(),
    /** Replay window for schemes that sign a timestamp (Stripe, Slack, SendGrid, Standard Webhooks). */
    toleranceSeconds: z.number().int().positive().max(3_600).optional(),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .max(16 * 1024 * 1024)
      .optional(),
    retry: retryPolicySchema.partial().strict().optional(),
    /** Event-type glob → JSON Schema; every matching schema must accept the payload before delivery. */
    schemas: z.record(eventGlob, eventSchemaRef).optional(),
    routes: z.array(routeSchema).default([]),
  })
  .strict()
  .superRefine((source, ctx) => {
    // Which keys the scheme needs and what they look like: each scheme declares its own.
    for (const issue of schemeConfigIssues(source)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .transform((source) => ({
    ...source,
    secrets: source.secrets ?? [],
    publicKeys: source.publicKeys ?? [],
    toleranceSeconds: source.toleranceSeconds ?? 300,
    routes: source.routes.map(({ targets, ...route }, index) => ({
      ...route,
      name: route.name ?? `route-${index}`,
      targets: [
        ...(route.forward ? [{ name: 'forward', kind: 'forward' as const, forward: route.forward }] : []),
        ...(targets ?? []).map((target, i) =>
          target.forward
            ? { name: target.name ?? `target-${i}`, kind: 'forward' as const, forward: target.forward }
            : target.sync
              ? { name: target.name ?? `target-${i}`, kind: 'sync' as const, sync: target.sync }
              : {
                  name: target.name ?? `target-${i}`,
                  kind: 'workflow' as const,
                  workflow: target.workflow as z.output<typeof workflowTargetSchema>,
                },
        ),
      ],
    })),
  }))
  .superRefine((source, ctx) => {
    uniqueNames(
      source.routes.map((route) => route.name),
      ctx,
      (index) => ['routes', index, 'name'],
      'route',
    );
    source.routes.forEach((route, routeIndex) =>
      uniqueNames(
        route.targets.map((target) => target.name),
        ctx,
        (index) => ['routes', routeIndex, 'targets', index, 'name'],
        'target',
      ),
    );
  });

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(3_000),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .max(16 * 1024 * 1024)
          .default(1024 * 1024),
        trustProxy: z.boolean().default(false),
        /** How long a request may wait on Temporal before the server answers 503. */
        temporalTimeoutMs: z.number().int().positive().default(5_000),
        /**
         * Webhooks that may wait on Temporal at once; past it the server answers 503 at once (load shedding)
         * rather than queueing without bound while Temporal is slow.
         */
        maxPendingStarts: z.number().int().positive().default(256),
      })
      .strict()
      .prefault({}),
    temporal: z
      .object({
        namespace: z.string().min(1).default('default'),
        taskQueue: z.string().min(1).default('junction'),
        shutdownGraceMs: z.number().int().min(0).default(10_000),
        /**
         * Workflows the worker keeps in memory between tasks (the SDK sizes it from the heap: ~2,300 on 24 GiB,
         * about 0.26 MB each); an evicted workflow replays its history when it next wakes. 0 disables the cache.
         */
        maxCachedWorkflows: z
          .number()
          .int()
          .min(0)
          // The SDK would quietly turn 1 into 2 (a cache of one cannot hold a workflow while another runs).
          .refine((size) => size !== 1, 'must be 0 (no cache) or at least 2')
          .default(250),
        /**
         * A process that runs the worker tells V8 to favour memory over speed (`--optimize-for-size`): in
         * `npm run bench -- memory` the worker's RSS fell by about 40 %, for about 24 % more worker CPU per
         * webhook delivery (docs/operating.md, "Worker memory").
         */
        optimizeForSize: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    dev: z
      .object({
        dataDir: z.string().min(1).default('.junction'),
        ip: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(1).max(65_535).default(7_233),
        uiPort: z.number().int().min(1).max(65_535).default(8_233),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: logLevel.default('info') })
      .strict()
      .prefault({}),
    delivery: z
      .object({
        retry: retryPolicySchema.prefault({}),
        /** Standard Webhooks secrets that sign every request to the application unless a target names its own. */
        signingSecrets: signingSecrets.optional(),
      })
      .strict()
      .prefault({}),
    sources: z.array(sourceSchema).default([]),
    codec: codecSchema.prefault({}),
    admin: adminSchema.prefault({}),
    connections: connectionsSchema.prefault({}),
    providers: providersSchema,
    syncs: syncsSchema.prefault({}),
    rateLimits: rateLimitsSchema.prefault({}),
    network: z
      .object({
        /**
         * CIDRs (or single addresses) outbound connections may reach although they are loopback, private,
         * link-local or otherwise special. Unset: loopback under `junction dev`, nothing for server and worker.
         */
        allowPrivate: z
          .array(z.string().refine(isCidr, 'must be a CIDR such as 10.0.0.0/8 or fd00::/8, or an IP address'))
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.sources.forEach((source, index) => {
      if (seen.has(source.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'id'],
          message: `duplicate source id "${source.id}"`,
        });
      }
      seen.add(source.id);
      if (source.id === SYNC_NOTIFY_SOURCE) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'id'],
          message: `"${SYNC_NOTIFY_SOURCE}" is Junction's own source (sync notifications): pick another id`,
        });
      }
    });
  });

export type JunctionConfig = z.output<typeof configSchema>;
export type SourceConfig = JunctionConfig['sources'][number];
export type RouteConfig = SourceConfig['routes'][number];
export type ForwardTarget = z.output<typeof forwardTargetSchema>;
export type WorkflowTarget = z.output<typeof workflowTargetSchema>;
export type SyncTarget = z.output<typeof syncTargetSchema>;
export type RouteTargetConfig = RouteConfig['targets'][number];
export type RetryPolicyConfig = z.output<typeof retryPolicySchema>;
export type CodecConfig = JunctionConfig['codec'];
export type ConnectionsConfig = JunctionConfig['connections'];

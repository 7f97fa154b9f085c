import { z } from 'zod';
import { adminSchema, codecSchema, connectionsSchema, providersSchema } from './connections';

/** Event-type globs are matched with picomatch; an empty glob would silently match nothing. */
const eventGlob = z.string().min(1, 'an event pattern must not be empty');

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http:// or https:// URL');

const identifier = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'must be letters, digits, "_", "." or "-", starting with a letter or digit',
  );

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
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name'), z.string())
      .default({}),
    timeoutMs: z.number().int().positive().max(600_000).default(10_000),
  })
  .strict();

export const routeSchema = z
  .object({
    name: identifier.optional(),
    events: z.array(eventGlob).min(1, 'a route needs at least one event pattern'),
    forward: forwardTargetSchema,
  })
  .strict();

/** Standard Webhooks secrets are `whsec_` followed by base64 of the key bytes. */
const standardWebhooksSecret = z
  .string()
  .min(1, 'must not be empty')
  .refine((value) => {
    const raw = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
    return raw.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(raw) && Buffer.from(raw, 'base64').length >= 16;
  }, 'must be a Standard Webhooks secret: "whsec_" followed by base64 of at least 16 bytes');

export const sourceSchema = z
  .object({
    id: identifier,
    scheme: z.literal('standard-webhooks'),
    secrets: z
      .array(standardWebhooksSecret)
      .min(1, 'a source needs at least one secret; verification is never skipped'),
    toleranceSeconds: z.number().int().positive().max(3_600).default(300),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .max(16 * 1024 * 1024)
      .optional(),
    retry: retryPolicySchema.partial().strict().optional(),
    routes: z.array(routeSchema).default([]),
  })
  .strict()
  .transform((source) => ({
    ...source,
    routes: source.routes.map((route, index) => ({ ...route, name: route.name ?? `route-${index}` })),
  }))
  .superRefine((source, ctx) => {
    const seen = new Set<string>();
    source.routes.forEach((route, index) => {
      if (seen.has(route.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', index, 'name'],
          message: `duplicate route name "${route.name}"`,
        });
      }
      seen.add(route.name);
    });
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
      })
      .strict()
      .prefault({}),
    temporal: z
      .object({
        namespace: z.string().min(1).default('default'),
        taskQueue: z.string().min(1).default('junction'),
        shutdownGraceMs: z.number().int().min(0).default(10_000),
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
      .object({ retry: retryPolicySchema.prefault({}) })
      .strict()
      .prefault({}),
    sources: z.array(sourceSchema).default([]),
    codec: codecSchema.prefault({}),
    admin: adminSchema.prefault({}),
    connections: connectionsSchema.prefault({}),
    providers: providersSchema,
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
    });
  });

export type JunctionConfig = z.output<typeof configSchema>;
export type SourceConfig = JunctionConfig['sources'][number];
export type RouteConfig = SourceConfig['routes'][number];
export type ForwardTarget = RouteConfig['forward'];
export type RetryPolicyConfig = z.output<typeof retryPolicySchema>;
export type CodecConfig = JunctionConfig['codec'];
export type ConnectionsConfig = JunctionConfig['connections'];

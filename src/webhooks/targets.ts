import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type {
  ForwardTarget,
  JunctionConfig,
  RouteConfig,
  SyncTarget,
  WorkflowTarget,
} from '../config/schema';
import { ConfigError } from '../shared/errors';
import { SYNC_NOTIFY_SOURCE } from '../shared/syncContract';
import { eventMatcher } from './routing';

/** What a transform module's default export receives. */
export interface TransformEvent {
  source: string;
  deliveryId: string;
  eventType: string;
  receivedAt: string | undefined;
  payload: unknown;
}

/** A pure function from the event to the payload delivered instead of the original body. */
export type EventTransform = (event: TransformEvent) => unknown;

/** Checks a payload against every schema whose event pattern matches; returns the reasons it fails. */
export type EventValidator = (eventType: string, payload: unknown) => string[];

/**
 * Route targets, transforms and schemas as configured now: activities read them at delivery time, so a
 * fixed URL, schema or transform applies to a retried dead letter.
 */
export interface WebhookTargets {
  forward: (sourceId: string, route: string, target?: string) => ForwardTarget | undefined;
  workflow: (sourceId: string, route: string, target: string) => WorkflowTarget | undefined;
  sync: (sourceId: string, route: string, target: string) => SyncTarget | undefined;
  transform: (sourceId: string, route: string) => EventTransform | undefined;
  validator: (sourceId: string) => EventValidator | undefined;
}

function findRoute(config: JunctionConfig, sourceId: string, route: string): RouteConfig | undefined {
  return config.sources.find((s) => s.id === sourceId)?.routes.find((r) => r.name === route);
}

async function loadTransform(file: string, where: string): Promise<EventTransform> {
  let loaded: unknown;
  try {
    // A plain absolute path on POSIX (which CommonJS test runners can also require); a file URL on Windows.
    const specifier = process.platform === 'win32' ? pathToFileURL(resolve(file)).href : resolve(file);
    loaded = await import(specifier);
  } catch (error) {
    throw new ConfigError(`${where}: cannot load transform module ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // `export default fn` (ES module or compiled), or `module.exports = fn`.
  let candidate = (loaded as { default?: unknown }).default ?? loaded;
  if (typeof candidate !== 'function') candidate = (candidate as { default?: unknown } | undefined)?.default;
  if (typeof candidate !== 'function') {
    throw new ConfigError(`${where}: transform module ${file} must export a function (default export)`);
  }
  return candidate as EventTransform;
}

function readSchema(ref: string | Record<string, unknown>, where: string): Record<string, unknown> {
  if (typeof ref !== 'string') return ref;
  try {
    return JSON.parse(readFileSync(resolve(ref), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`${where}: cannot read JSON schema ${ref}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Loads what configuration names by path (transform modules, JSON schema files) and compiles the schemas,
 * once at start-up: a module or schema that does not load stops start-up with the key named.
 */
export async function loadWebhookTargets(config: JunctionConfig): Promise<WebhookTargets> {
  const transforms = new Map<string, EventTransform>();
  const validators = new Map<string, EventValidator>();
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const [sourceIndex, source] of config.sources.entries()) {
    for (const [routeIndex, route] of source.routes.entries()) {
      if (route.transform) {
        const where = `sources[${sourceIndex}].routes[${routeIndex}].transform`;
        transforms.set(`${source.id}\u0000${route.name}`, await loadTransform(route.transform, where));
      }
    }
    if (source.schemas && Object.keys(source.schemas).length > 0) {
      const compiled: Array<{
        pattern: string;
        matches: (type: string) => boolean;
        validate: ValidateFunction;
      }> = [];
      for (const [pattern, ref] of Object.entries(source.schemas)) {
        const where = `sources[${sourceIndex}].schemas["${pattern}"]`;
        let validate: ValidateFunction;
        try {
          validate = ajv.compile(readSchema(ref, where));
        } catch (error) {
          if (error instanceof ConfigError) throw error;
          throw new ConfigError(`${where}: not a valid JSON schema: ${(error as Error).message}`, {
            cause: error,
          });
        }
        compiled.push({ pattern, matches: eventMatcher(pattern), validate });
      }
      validators.set(source.id, (eventType, payload) =>
        compiled
          .filter((schema) => schema.matches(eventType))
          .flatMap((schema) =>
            schema.validate(payload)
              ? []
              : (schema.validate.errors ?? []).map(
                  (error) =>
                    `${error.instancePath || '(payload)'} ${error.message ?? 'is invalid'} (schema "${schema.pattern}")`,
                ),
          ),
      );
    }
  }
  return {
    forward: (sourceId, route, target) => {
      // Junction's own notifications: a sync changed something.
      if (sourceId === SYNC_NOTIFY_SOURCE) return route === 'notify' ? config.syncs.notify : undefined;
      const found = findRoute(config, sourceId, route);
      if (!found) return undefined;
      // Deliveries recorded before routes had several targets name no target: the route's `forward`.
      if (target === undefined) return found.forward;
      const entry = found.targets.find((t) => t.name === target);
      return entry?.kind === 'forward' ? entry.forward : undefined;
    },
    workflow: (sourceId, route, target) => {
      const entry = findRoute(config, sourceId, route)?.targets.find((t) => t.name === target);
      return entry?.kind === 'workflow' ? entry.workflow : undefined;
    },
    sync: (sourceId, route, target) => {
      const entry = findRoute(config, sourceId, route)?.targets.find((t) => t.name === target);
      return entry?.kind === 'sync' ? entry.sync : undefined;
    },
    transform: (sourceId, route) => transforms.get(`${sourceId}\u0000${route}`),
    validator: (sourceId) => validators.get(sourceId),
  };
}

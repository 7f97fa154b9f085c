import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { SourceConfig } from '../config/schema';
import { readDotPath } from '../shared/dotPath';
import { sequencerWorkflowId } from '../shared/ordering';
import type { DeliveryTarget } from '../shared/webhooks';

export interface CompiledRoute {
  name: string;
  matches: (eventType: string) => boolean;
  targets: DeliveryTarget[];
  orderingKey: string | undefined;
}

/**
 * Event types are not paths: Shopify's `orders/create` must match `*` as `invoice.paid` does. picomatch
 * stops `*` at `/`, so the slash is swapped for a look-alike character in both pattern and type.
 */
const SLASH = '\u2215';
export function eventMatcher(glob: string): (eventType: string) => boolean {
  const match = picomatch(glob.replaceAll('/', SLASH), { dot: true });
  return (eventType) => match(eventType.replaceAll('/', SLASH));
}

/** Compiles a source's routes once; matching an event type is then a few regex tests. */
export function compileRoutes(source: SourceConfig): CompiledRoute[] {
  return source.routes.map((route) => {
    const matchers = route.events.map(eventMatcher);
    return {
      name: route.name,
      matches: (eventType) => matchers.some((match) => match(eventType)),
      orderingKey: route.orderingKey,
      targets: route.targets.map((target) => ({
        route: route.name,
        target: target.name,
        kind: target.kind,
        timeoutMs:
          target.kind === 'forward'
            ? target.forward.timeoutMs
            : target.kind === 'sync'
              ? target.sync.timeoutMs
              : target.workflow.timeoutMs,
      })),
    };
  });
}

/** The value at a dot path (`data.object.customer`), as a key: strings and finite numbers only. */
export function readOrderingKey(payload: unknown, path: string): string | undefined {
  const current = readDotPath(payload, path);
  if (typeof current === 'string' && current !== '') return current;
  if (typeof current === 'number' && Number.isFinite(current)) return String(current);
  return undefined;
}

/** A key safe inside a workflow id: itself when short and printable, else a hash of it. */
function keyForId(key: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(key) ? key : `sha256-${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * Every target of every route whose event globs match the event type, in declaration order. Targets of a
 * route with an ordering key found in the payload name the sequencer that orders them; without the key in
 * the payload, the event is not ordered against any other.
 */
export function selectTargets(
  routes: readonly CompiledRoute[],
  eventType: string,
  sourceId?: string,
  payload?: unknown,
): DeliveryTarget[] {
  return routes
    .filter((route) => route.matches(eventType))
    .flatMap((route) => {
      const key = route.orderingKey && sourceId ? readOrderingKey(payload, route.orderingKey) : undefined;
      if (key === undefined || sourceId === undefined) return route.targets;
      const orderedBy = sequencerWorkflowId(sourceId, route.name, keyForId(key));
      return route.targets.map((target) => ({ ...target, orderedBy }));
    });
}

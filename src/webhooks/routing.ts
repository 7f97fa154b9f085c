import picomatch from 'picomatch';
import type { SourceConfig } from '../config/schema';
import type { DeliveryTarget } from '../shared/webhooks';

export interface CompiledRoute {
  name: string;
  matches: (eventType: string) => boolean;
  targets: DeliveryTarget[];
}

/** Compiles a source's routes once; matching an event type is then a few regex tests. */
export function compileRoutes(source: SourceConfig): CompiledRoute[] {
  return source.routes.map((route) => {
    const matchers = route.events.map((glob) => picomatch(glob, { dot: true }));
    return {
      name: route.name,
      matches: (eventType) => matchers.some((match) => match(eventType)),
      targets: [{ route: route.name, kind: 'forward', timeoutMs: route.forward.timeoutMs }],
    };
  });
}

/** Every target of every route whose event globs match the event type, in declaration order. */
export function selectTargets(routes: readonly CompiledRoute[], eventType: string): DeliveryTarget[] {
  return routes.filter((route) => route.matches(eventType)).flatMap((route) => route.targets);
}

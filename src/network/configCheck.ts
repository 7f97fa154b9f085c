import type { JunctionConfig } from '../config/schema';
import { ConfigError } from '../shared/errors';
import { ipLiteral, type DestinationPolicy } from './destinations';

/** Every outbound URL the configuration names, with the key it sits at. */
function configuredUrls(config: JunctionConfig): Array<{ key: string; url: string }> {
  const urls: Array<{ key: string; url: string }> = [];
  config.sources.forEach((source, i) =>
    source.routes.forEach((route, j) =>
      route.targets.forEach((target, k) => {
        if (target.kind === 'forward') {
          urls.push({ key: `sources[${i}].routes[${j}].targets[${k}].forward.url`, url: target.forward.url });
        }
      }),
    ),
  );
  if (config.connections.events)
    urls.push({ key: 'connections.events.url', url: config.connections.events.url });
  config.connections.returnToAllowlist.forEach((url, i) =>
    urls.push({ key: `connections.returnToAllowlist[${i}]`, url }),
  );
  for (const provider of config.providers) {
    const at = `providers["${provider.id}"]`;
    urls.push({ key: `${at}.apiBaseUrl`, url: provider.apiBaseUrl });
    if ('tokenUrl' in provider.auth) {
      urls.push({ key: `${at}.auth.tokenUrl`, url: provider.auth.tokenUrl });
      if (provider.auth.revocationUrl) {
        urls.push({ key: `${at}.auth.revocationUrl`, url: provider.auth.revocationUrl });
      }
    }
  }
  return urls;
}

/**
 * Configured URLs whose host is an IP literal the policy refuses, one line each (key, host and range): what
 * can be known before any connection. Names are judged when they are dialed, after resolution.
 */
export function refusedConfiguredDestinations(config: JunctionConfig, policy: DestinationPolicy): string[] {
  return configuredUrls(config).flatMap(({ key, url }) => {
    const host = new URL(url).hostname;
    const literal = ipLiteral(host);
    const refusal = literal ? policy.refusal(literal, literal) : undefined;
    return refusal ? [`${key}: ${refusal.message}`] : [];
  });
}

/** Refuses to start with configuration that points at a literal address the network policy refuses. */
export function assertConfiguredDestinations(config: JunctionConfig, policy: DestinationPolicy): void {
  const refused = refusedConfiguredDestinations(config, policy);
  if (refused.length > 0) {
    throw new ConfigError(`outbound URLs point at refused addresses:\n  ${refused.join('\n  ')}`, {
      details: { refused },
    });
  }
}

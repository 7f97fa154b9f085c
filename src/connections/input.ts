import type { ConnectionsConfig } from '../config/schema';
import type { ProviderDeclaration } from '../providers/schema';
import type { HeaderShape, RefreshTiming } from '../shared/connectionContract';

/** Refresh timing from the declaration and settings: margin ahead of expiry, idle interval, floor, history bound. */
export function refreshTiming(
  provider: ProviderDeclaration,
  config: Pick<ConnectionsConfig, 'historyEventLimit' | 'minRefreshIntervalSeconds'>,
): RefreshTiming {
  const auth = provider.auth;
  const oauth = 'tokenUrl' in auth ? auth : undefined;
  return {
    refreshMarginMs: (oauth?.refreshMarginSeconds ?? 0) * 1000,
    idleRefreshMs: oauth?.idleRefreshSeconds !== undefined ? oauth.idleRefreshSeconds * 1000 : undefined,
    historyEventLimit: config.historyEventLimit,
    minRefreshIntervalMs: config.minRefreshIntervalSeconds * 1000,
  };
}

/** Where the credential goes on a request. */
export function headerShape(provider: ProviderDeclaration): HeaderShape {
  if (provider.auth.mode === 'api_key') return { header: provider.auth.header, prefix: provider.auth.prefix };
  return { header: 'authorization', prefix: provider.auth.mode === 'basic' ? 'Basic ' : 'Bearer ' };
}

import { readDotPath } from '../shared/dotPath';
import type { ProviderRequest } from '../shared/calls';
import type { PaginationSettings } from './settings';

/** Reads a dotted path (`data.items`, `meta.next`) from a parsed JSON body. */
export const readPath = readDotPath;

/** The `rel="next"` target of an RFC 8288 `Link` header, if any. */
export function nextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (!match) continue;
    const params = match[2] ?? '';
    if (/(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(params)) return match[1];
  }
  return undefined;
}

/** The items of one page, per the provider's pagination style (or a per-call items path). */
export function pageItems(
  settings: PaginationSettings,
  body: unknown,
  itemsPath = settings.itemsPath,
): unknown[] {
  const items = itemsPath ? readPath(body, itemsPath) : body;
  return Array.isArray(items) ? items : [];
}

function withQuery(request: ProviderRequest, changes: Record<string, string | number>): ProviderRequest {
  return { ...request, query: { ...request.query, ...changes } };
}

/**
 * The request for the page after this one, or undefined at the end. Pure: the same answer for the same
 * inputs, so workflows can drive pagination page by page.
 */
export function nextPageRequest(
  settings: PaginationSettings,
  request: ProviderRequest,
  response: { body: unknown; headers: Record<string, string> },
  apiBaseUrl: string,
  itemsPath?: string,
): ProviderRequest | undefined {
  const items = pageItems(settings, response.body, itemsPath);
  switch (settings.style) {
    case 'cursor': {
      if (settings.hasMorePath && readPath(response.body, settings.hasMorePath) !== true) return undefined;
      const last = items.at(-1);
      const cursor = settings.nextCursorFromLastItem
        ? last === undefined
          ? undefined
          : readPath(last, settings.nextCursorFromLastItem)
        : readPath(response.body, settings.nextCursorPath);
      if (typeof cursor === 'number') return withQuery(request, { [settings.cursorParam]: cursor });
      if (typeof cursor !== 'string' || cursor === '') return undefined;
      return withQuery(request, { [settings.cursorParam]: cursor });
    }
    case 'link': {
      const next = nextLink(response.headers.link);
      if (!next) return undefined;
      const base = new URL(apiBaseUrl);
      const target = new URL(next, base);
      // Never follow a link off the provider's API: credentials would go with it.
      if (target.origin !== base.origin) return undefined;
      const basePath = base.pathname.replace(/\/$/, '');
      const path = target.pathname.startsWith(basePath)
        ? target.pathname.slice(basePath.length) || '/'
        : target.pathname;
      return { ...request, path, query: Object.fromEntries(target.searchParams) };
    }
    case 'page': {
      if (items.length === 0) return undefined;
      const current = Number(request.query?.[settings.pageParam] ?? settings.firstPage);
      return withQuery(request, { [settings.pageParam]: current + 1 });
    }
    case 'offset': {
      if (items.length === 0) return undefined;
      const offset = Number(request.query?.[settings.offsetParam] ?? 0) + items.length;
      const total = settings.totalPath ? Number(readPath(response.body, settings.totalPath)) : NaN;
      if (Number.isFinite(total) && offset >= total) return undefined;
      return withQuery(request, { [settings.offsetParam]: offset });
    }
  }
}

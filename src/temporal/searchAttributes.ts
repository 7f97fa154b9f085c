import { JUNCTION_SEARCH_ATTRIBUTES } from '../shared/searchAttributes';

/** `--search-attribute` flags that register Junction's search attributes on a dev server. */
export function searchAttributeArgs(): string[] {
  return JUNCTION_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`,
  ]);
}

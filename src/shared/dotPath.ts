/** The value at a dotted path (`data.items`, `data.object.customer`) of parsed JSON; undefined when absent. */
export function readDotPath(value: unknown, path: string): unknown {
  // A plain key (the usual case, once per field of every synced record) needs no split.
  if (!path.includes('.')) {
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[path] : undefined;
  }
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

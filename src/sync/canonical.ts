import { createHash } from 'node:crypto';

/** JSON with every object's keys sorted: the same record always serialises to the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 of the canonical JSON: key order never counts as a change, any value does. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * Whether provider version `candidate` is older than `stored`: timestamps by time, numbers by value, anything
 * else as text. A write never replaces a newer version with an older one, whatever order they arrive in.
 */
export function isOlderVersion(candidate: string | undefined, stored: string | undefined | null): boolean {
  if (candidate === undefined || stored === undefined || stored === null) return false;
  const [a, b] = [Number(candidate), Number(stored)];
  if (candidate.trim() !== '' && stored.trim() !== '' && Number.isFinite(a) && Number.isFinite(b))
    return a < b;
  const [ta, tb] = [Date.parse(candidate), Date.parse(stored)];
  if (Number.isFinite(ta) && Number.isFinite(tb)) return ta < tb;
  return candidate < stored;
}

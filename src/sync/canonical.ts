import { createHash } from 'node:crypto';

/**
 * JSON with every object's keys sorted (by UTF-16 code unit, as `<` compares them; keys whose value is
 * undefined left out): the same record always serialises to the same text. Stored hashes depend on this text
 * staying exactly what it is; `test/unit/canonical.test.ts` holds it to the plain definition.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole (never in parsed JSON) stays empty, as Array.prototype.join leaves it.
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
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

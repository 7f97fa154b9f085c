/**
 * Parses a `Retry-After` value (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 * Returns milliseconds from `now`, never negative; undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined | null, now: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  // An HTTP-date always names the day and month; this keeps Date.parse from reading "-5" as a year.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

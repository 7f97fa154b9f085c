import {
  MAX_RETRY_AFTER_MS,
  classifyError,
  classifyResponse,
  quotaRemaining,
  type QuotaHeaders,
} from '../../src/http/classify';
import { parseRetryAfter } from '../../src/http/retryAfter';

const none = () => undefined;
const now = Date.parse('2026-11-28T12:00:00Z');

test.each([
  [200, false, 'ok'],
  [204, false, 'ok'],
  [400, false, 'client_error'],
  [401, false, 'unauthorized'],
  [404, false, 'client_error'],
  [422, false, 'client_error'],
  [408, true, 'request_timeout'],
  [429, true, 'throttled'],
  [500, true, 'server_error'],
  [503, true, 'server_error'],
])('HTTP %i → retry %s (%s)', (status, retry, reason) => {
  expect(classifyResponse(status, none, now)).toMatchObject({ retry, reason, status });
});

test('Retry-After in seconds and as a date becomes the delay', () => {
  const seconds = (name: string) => (name === 'retry-after' ? '7' : undefined);
  expect(classifyResponse(429, seconds, now).delayMs).toBe(7_000);
  const date = (name: string) => (name === 'retry-after' ? 'Sat, 28 Nov 2026 12:00:30 GMT' : undefined);
  expect(classifyResponse(503, date, now).delayMs).toBe(30_000);
});

test('an absurd Retry-After is capped', () => {
  const huge = () => '999999999';
  expect(classifyResponse(429, huge, now).delayMs).toBe(MAX_RETRY_AFTER_MS);
});

test('Retry-After on a non-retryable answer is ignored', () => {
  expect(classifyResponse(404, () => '5', now)).toEqual({
    retry: false,
    reason: 'client_error',
    status: 404,
  });
});

test('parseRetryAfter rejects garbage and never goes negative', () => {
  expect(parseRetryAfter(undefined, now)).toBeUndefined();
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter('-5', now)).toBeUndefined();
  expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0);
});

test('network errors and timeouts are retryable', () => {
  expect(classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toEqual({
    retry: true,
    reason: 'network_error',
  });
  expect(classifyError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' })).reason).toBe(
    'timeout',
  );
  expect(classifyError(new DOMException('timed out', 'TimeoutError')).reason).toBe('timeout');
});

const github: QuotaHeaders = {
  remainingHeader: 'x-ratelimit-remaining',
  resetHeader: 'x-ratelimit-reset',
  resetFormat: 'epoch-seconds',
};

test('a provider quota reset header becomes the delay when there is no Retry-After', () => {
  const headers: Record<string, string> = {
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(now / 1000 + 42),
  };
  const lookup = (name: string) => headers[name];
  expect(classifyResponse(429, lookup, now, github)).toMatchObject({
    retry: true,
    reason: 'throttled',
    delayMs: 42_000,
  });
  // GitHub answers an exhausted quota with 403: that is throttling, not a rejection.
  expect(classifyResponse(403, lookup, now, github)).toMatchObject({
    retry: true,
    reason: 'throttled',
    delayMs: 42_000,
  });
  expect(
    classifyResponse(403, (n) => (n === 'x-ratelimit-remaining' ? '12' : undefined), now, github).retry,
  ).toBe(false);
  // Retry-After wins over the reset header.
  expect(classifyResponse(429, (n) => (n === 'retry-after' ? '3' : headers[n]), now, github).delayMs).toBe(
    3_000,
  );
  const delta: QuotaHeaders = {
    remainingHeader: 'ratelimit-remaining',
    resetHeader: 'ratelimit-reset',
    resetFormat: 'delta-seconds',
  };
  expect(classifyResponse(503, (n) => (n === 'ratelimit-reset' ? '7' : undefined), now, delta).delayMs).toBe(
    7_000,
  );
  expect(quotaRemaining(github, lookup)).toBe(0);
  expect(quotaRemaining(github, () => 'many')).toBeUndefined();
});

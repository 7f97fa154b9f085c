import fc from 'fast-check';
import { msOptionalToTs } from '@temporalio/common/lib/time';
import { callFailure, exchangeFailure } from '../../src/calls/failures';
import type { RawResponse } from '../../src/calls/request';
import {
  MAX_RETRY_AFTER_MS,
  classifyError,
  classifyResponse,
  type QuotaHeaders,
} from '../../src/http/classify';
import type { ProviderRequest } from '../../src/shared/calls';
import { ProviderCallError } from '../../src/shared/errors';
import { MIN_RETRY_DELAY_MS, toApplicationFailure } from '../../src/shared/failures';

const now = Date.parse('2026-11-28T12:00:00Z');
const request: ProviderRequest = { method: 'GET', path: '/items/7' };

function answered(status: number, headers: Record<string, string> = {}, body = '') {
  const response: RawResponse = { status, headers, body: Buffer.from(body) };
  const decision = classifyResponse(status, (name) => headers[name], now);
  return { decision, response };
}

test('a 429 with Retry-After: 0 is a retryable failure that waits the floor, not zero', () => {
  const outcome = answered(429, { 'retry-after': '0' });
  expect(outcome.decision).toMatchObject({ retry: true, reason: 'throttled', delayMs: 0 });
  const error = exchangeFailure('acme', request, outcome, 1);
  expect(error).toMatchObject({ code: 'provider_throttled', retryable: true, retryAfterMs: 0 });
  const failure = toApplicationFailure(error);
  expect(failure).toMatchObject({
    type: 'provider_throttled',
    nonRetryable: false,
    nextRetryDelay: MIN_RETRY_DELAY_MS,
    message: 'acme answered HTTP 429 to GET /items/7',
    details: [{ status: 429, attempt: 1 }],
  });
});

test('a 503 with a Retry-After date already past (clock skew) is retried after the floor', () => {
  const failure = toApplicationFailure(
    exchangeFailure('acme', request, answered(503, { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), 2),
  );
  expect(failure).toMatchObject({
    type: 'provider_error',
    nonRetryable: false,
    nextRetryDelay: MIN_RETRY_DELAY_MS,
    details: [{ status: 503, attempt: 2 }],
  });
});

test('the peer’s delay is kept on a retryable failure; a final one carries the provider’s answer instead', () => {
  expect(
    toApplicationFailure(exchangeFailure('acme', request, answered(503, { 'retry-after': '7' }), 1)),
  ).toMatchObject({
    nonRetryable: false,
    nextRetryDelay: 7_000,
    details: [{ status: 503, body: undefined }],
  });

  const rejected = exchangeFailure(
    'acme',
    request,
    answered(404, { 'content-type': 'application/json', 'retry-after': '5' }, '{"error":"not found"}'),
    3,
  );
  expect(rejected).toMatchObject({ code: 'provider_rejected', retryable: false, retryAfterMs: undefined });
  expect(toApplicationFailure(rejected)).toMatchObject({
    nonRetryable: true,
    nextRetryDelay: undefined,
    details: [{ status: 404, attempt: 3, body: { error: 'not found' } }],
  });
});

test.each([
  [400, 'provider_rejected', false],
  [401, 'provider_unauthorized', false],
  [403, 'provider_rejected', false],
  [408, 'provider_timeout', true],
  [422, 'provider_rejected', false],
  [429, 'provider_throttled', true],
  [500, 'provider_error', true],
  [502, 'provider_error', true],
])('HTTP %i fails as %s (retryable: %s)', (status, code, retryable) => {
  expect(exchangeFailure('acme', request, answered(status), 1)).toMatchObject({ code, retryable });
});

test('no answer at all: a timeout or a network error, retryable, said so in the message', () => {
  const timeout = exchangeFailure(
    'acme',
    request,
    { decision: classifyError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' })) },
    1,
  );
  expect(timeout).toMatchObject({
    code: 'provider_timeout',
    retryable: true,
    message: 'acme could not be reached (timed out)',
    details: { status: undefined, attempt: 1, body: undefined },
  });
  const refused = exchangeFailure(
    'acme',
    request,
    { decision: classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })) },
    1,
  );
  expect(refused).toMatchObject({
    code: 'provider_unreachable',
    retryable: true,
    message: 'acme could not be reached (network error)',
  });
});

test('callFailure puts the attempt in the details and keeps a delay only when the failure is retryable', () => {
  expect(callFailure('rate_limited', 'pacing', 2, { retry: true, delayMs: 4_000 })).toMatchObject({
    code: 'rate_limited',
    retryable: true,
    retryAfterMs: 4_000,
    details: { attempt: 2 },
  });
  expect(callFailure('response_too_large', 'big', 1, { delayMs: 4_000 })).toMatchObject({
    retryable: false,
    retryAfterMs: undefined,
    details: { attempt: 1 },
  });
});

const github: QuotaHeaders = {
  remainingHeader: 'x-ratelimit-remaining',
  resetHeader: 'x-ratelimit-reset',
  resetFormat: 'epoch-seconds',
};
const retryAfterValue = fc.oneof(
  fc.constant(undefined),
  fc.nat({ max: 100_000 }).map(String),
  fc.stringMatching(/^\d{1,400}$/),
  fc
    .integer({ min: -10 * 365 * 86_400, max: 3 * 86_400 })
    .map((seconds) => new Date(now + seconds * 1_000).toUTCString()),
  fc.string(),
);
const resetValue = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -86_400, max: 86_400 }).map((s) => String(Math.floor(now / 1000) + s)),
  fc.stringMatching(/^\d{1,400}(\.\d{1,3})?$/),
);

test('every retryable answer becomes a retryable failure whose delay Temporal can honour', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 400, max: 599 }),
      retryAfterValue,
      fc.option(fc.nat({ max: 5 }), { nil: undefined }),
      resetValue,
      (status, retryAfter, remaining, reset) => {
        const headers: Record<string, string | undefined> = {
          'retry-after': retryAfter,
          'x-ratelimit-remaining': remaining === undefined ? undefined : String(remaining),
          'x-ratelimit-reset': reset,
        };
        const decision = classifyResponse(status, (name) => headers[name], now, github);
        const response: RawResponse = { status, headers: {}, body: Buffer.alloc(0) };
        const failure = toApplicationFailure(exchangeFailure('acme', request, { decision, response }, 1));
        expect(failure.nonRetryable).toBe(!decision.retry);
        if (!decision.retry) {
          expect(failure.nextRetryDelay).toBeUndefined();
          return;
        }
        if (failure.nextRetryDelay !== undefined) {
          expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(MIN_RETRY_DELAY_MS);
          expect(failure.nextRetryDelay).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
          // What the worker does with it on the way to the server must not throw.
          expect(() => msOptionalToTs(failure.nextRetryDelay)).not.toThrow();
        }
      },
    ),
    { numRuns: 2_000 },
  );
});

test('toApplicationFailure: a retryable delay is floored and rounded; one that is not a number is left out', () => {
  const retryable = (retryAfterMs: number) =>
    toApplicationFailure(new ProviderCallError('provider_error', 'down', { retryable: true, retryAfterMs }));
  expect(retryable(0).nextRetryDelay).toBe(MIN_RETRY_DELAY_MS);
  expect(retryable(1_499.6).nextRetryDelay).toBe(1_500);
  for (const bogus of [Number.NaN, Number.POSITIVE_INFINITY]) {
    expect(retryable(bogus)).toMatchObject({ nonRetryable: false, nextRetryDelay: undefined });
  }
  const final = new ProviderCallError('provider_rejected', 'no', { retryable: false, retryAfterMs: 5_000 });
  expect(toApplicationFailure(final)).toMatchObject({ nonRetryable: true, nextRetryDelay: undefined });
});

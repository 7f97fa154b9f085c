import { callSettingsSchema, taskQueueRate } from '../../src/calls/settings';
import { nextLink, nextPageRequest, pageItems, readPath } from '../../src/calls/pagination';

const base = 'https://api.example.com/v2';
const pagination = (value: unknown) => callSettingsSchema.parse({ pagination: value }).pagination!;

test('readPath and nextLink', () => {
  expect(readPath({ a: { b: [1] } }, 'a.b')).toEqual([1]);
  expect(readPath({ a: null }, 'a.b')).toBeUndefined();
  expect(nextLink('<https://x/p?page=2>; rel="next", <https://x/p?page=9>; rel="last"')).toBe(
    'https://x/p?page=2',
  );
  expect(nextLink('<https://x/p?page=1>; rel="prev first"')).toBeUndefined();
  expect(nextLink('<https://x/a>; rel="last", <https://x/b>; rel=next')).toBe('https://x/b');
  expect(nextLink(undefined)).toBeUndefined();
});

test('cursor: the next cursor becomes the query parameter; null ends it', () => {
  const settings = pagination({ style: 'cursor' });
  const request = { method: 'GET' as const, path: '/items', query: { limit: 2 } };
  const next = nextPageRequest(
    settings,
    request,
    { body: { data: [1, 2], next_cursor: 'abc' }, headers: {} },
    base,
  );
  expect(next).toEqual({ method: 'GET', path: '/items', query: { limit: 2, cursor: 'abc' } });
  expect(
    nextPageRequest(settings, request, { body: { data: [], next_cursor: null }, headers: {} }, base),
  ).toBeUndefined();
  expect(pageItems(settings, { data: [1, 2] })).toEqual([1, 2]);
});

test('link: follows rel=next under the API base, never off it', () => {
  const settings = pagination({ style: 'link' });
  const request = { method: 'GET' as const, path: '/items' };
  const headers = { link: '<https://api.example.com/v2/items?page=3&per_page=50>; rel="next"' };
  expect(nextPageRequest(settings, request, { body: [], headers }, base)).toEqual({
    method: 'GET',
    path: '/items',
    query: { page: '3', per_page: '50' },
  });
  const offsite = { link: '<https://evil.example/v2/items?page=3>; rel="next"' };
  expect(nextPageRequest(settings, request, { body: [], headers: offsite }, base)).toBeUndefined();
});

test('page and offset: advance while pages have items; offset stops at the total', () => {
  const page = pagination({ style: 'page', pageParam: 'p' });
  const request = { method: 'GET' as const, path: '/x' };
  expect(nextPageRequest(page, request, { body: [1], headers: {} }, base)?.query).toEqual({ p: 2 });
  expect(nextPageRequest(page, request, { body: [], headers: {} }, base)).toBeUndefined();
  const offset = pagination({ style: 'offset', totalPath: 'total' });
  const second = nextPageRequest(
    offset,
    request,
    { body: { items: [1, 2, 3], total: 5 }, headers: {} },
    base,
  );
  expect(second?.query).toEqual({ offset: 3 });
  expect(
    nextPageRequest(offset, second!, { body: { items: [4, 5], total: 5 }, headers: {} }, base),
  ).toBeUndefined();
});

test('strict rate limits set the task queue below half the limit (token bucket burst = rate)', () => {
  expect(taskQueueRate(callSettingsSchema.parse({ rateLimit: { perSecond: 20 } }))).toBe(9);
  expect(taskQueueRate(callSettingsSchema.parse({ rateLimit: { perSecond: 20, mode: 'average' } }))).toBe(20);
  expect(taskQueueRate(callSettingsSchema.parse({}))).toBeUndefined();
  // With the shared limiter, a strict queue dispatches at the share the limiter hands out.
  expect(taskQueueRate(callSettingsSchema.parse({ rateLimit: { perSecond: 20 } }), 0.95)).toBe(19);
  expect(
    taskQueueRate(callSettingsSchema.parse({ rateLimit: { perSecond: 20, mode: 'average' } }), 0.95),
  ).toBe(20);
});

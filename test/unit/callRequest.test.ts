import { outgoingRequest } from '../../src/calls/exchange';
import { providerUrl } from '../../src/calls/url';
import { ProviderCallError } from '../../src/shared/errors';

test('a request path goes under the API base path, with its query appended', () => {
  const url = providerUrl('https://api.example.com/v2/', {
    method: 'GET',
    path: '/items',
    query: { tag: ['a', 'b'], limit: 10, open: true },
  });
  expect(url.toString()).toBe('https://api.example.com/v2/items?tag=a&tag=b&limit=10&open=true');
});

test.each(['//evil.example/x', 'items', 'https://evil.example/x'])(
  'a path that could leave the provider is refused: %s',
  (path) => {
    expect(() => providerUrl('https://api.example.com', { method: 'GET', path })).toThrow(ProviderCallError);
    try {
      providerUrl('https://api.example.com', { method: 'GET', path });
    } catch (error) {
      expect(error).toMatchObject({ code: 'invalid_request', retryable: false });
    }
  },
);

test('JSON bodies get a content type unless the caller set one; credentials win over caller headers', () => {
  const url = new URL('https://api.example.com/items');
  const auth = { authorization: 'Bearer real' };
  expect(
    outgoingRequest(
      url,
      { method: 'POST', path: '/items', json: { a: 1 }, headers: { authorization: 'x' } },
      auth,
    ),
  ).toEqual({
    method: 'POST',
    url,
    headers: { accept: 'application/json', authorization: 'Bearer real', 'content-type': 'application/json' },
    body: '{"a":1}',
  });
  expect(
    outgoingRequest(
      url,
      { method: 'POST', path: '/items', json: [], headers: { 'content-type': 'application/vnd.api+json' } },
      {},
    ).headers['content-type'],
  ).toBe('application/vnd.api+json');
  expect(outgoingRequest(url, { method: 'PUT', path: '/items', body: 'raw' }, {})).toMatchObject({
    body: 'raw',
    headers: { accept: 'application/json' },
  });
});

import { SCHEME_CASES, rejection, sourceFor, verify } from '../helpers/schemeCases';

describe.each(SCHEME_CASES)('$scheme', (c) => {
  test("a request signed by the provider's library is accepted by the library and by Junction", async () => {
    const key = c.newKey();
    const vector = await c.sign(key);
    expect(await c.libraryAccepts(vector, key, Date.now())).toBe(true);
    expect(verify(sourceFor(c.scheme, [key.configured]), vector)).toMatchObject(c.expected(vector));
  });

  test('a tampered body is rejected (401 invalid_signature), as the library rejects it', async () => {
    const key = c.newKey();
    const vector = await c.sign(key);
    const tampered = {
      ...vector,
      body: vector.body.replace(/.$/, (last) => (last === '}' ? ' }' : `${last}x`)),
    };
    expect(tampered.body).not.toBe(vector.body);
    expect(await c.libraryAccepts(tampered, key, Date.now())).toBe(false);
    expect(rejection(() => verify(sourceFor(c.scheme, [key.configured]), tampered))).toEqual({
      status: 401,
      code: 'invalid_signature',
    });
  });

  test('a signature made with another secret or key is rejected', async () => {
    const configured = c.newKey();
    const other = c.newKey();
    const vector = await c.sign(other);
    expect(await c.libraryAccepts(vector, configured, Date.now())).toBe(false);
    expect(rejection(() => verify(sourceFor(c.scheme, [configured.configured]), vector))).toEqual({
      status: 401,
      code: 'invalid_signature',
    });
  });

  test.each(c.signatureHeaders)('a missing %s is a 401 missing_signature', async (header) => {
    const key = c.newKey();
    const vector = await c.sign(key);
    const headers = { ...vector.headers };
    delete headers[header];
    expect(rejection(() => verify(sourceFor(c.scheme, [key.configured]), { ...vector, headers }))).toEqual({
      status: 401,
      code: 'missing_signature',
    });
  });

  test('rotation: with the old and the new key configured, both verify; without the old, it fails', async () => {
    const oldKey = c.newKey();
    const newKey = c.newKey();
    const byOld = await c.sign(oldKey);
    const byNew = await c.sign(newKey);
    const both = sourceFor(c.scheme, [oldKey.configured, newKey.configured]);
    expect(verify(both, byOld)).toMatchObject({ eventType: c.expected(byOld).eventType });
    expect(verify(both, byNew)).toMatchObject({ eventType: c.expected(byNew).eventType });
    expect(rejection(() => verify(sourceFor(c.scheme, [newKey.configured]), byOld)).code).toBe(
      'invalid_signature',
    );
  });

  if (c.timestamped) {
    test('stale and future timestamps are rejected (400), both ways, even when correctly signed', async () => {
      const key = c.newKey();
      const now = Date.now();
      const seconds = Math.floor(now / 1000);
      const source = sourceFor(c.scheme, [key.configured]);
      const stale = await c.sign(key, { at: seconds - 301 });
      const future = await c.sign(key, { at: seconds + 301 });
      const edge = await c.sign(key, { at: seconds - 299 });
      expect(rejection(() => verify(source, stale, now))).toEqual({
        status: 400,
        code: 'timestamp_out_of_range',
      });
      expect(rejection(() => verify(source, future, now))).toEqual({
        status: 400,
        code: 'timestamp_out_of_range',
      });
      expect(verify(source, edge, now)).toMatchObject({ eventType: c.expected(edge).eventType });
      expect(await c.libraryAccepts(edge, key, now)).toBe(true);
    });

    test('toleranceSeconds overrides the window', async () => {
      const key = c.newKey();
      const now = Date.now();
      const vector = await c.sign(key, { at: Math.floor(now / 1000) - 100 });
      const tight = sourceFor(c.scheme, [key.configured], { toleranceSeconds: 60 });
      expect(rejection(() => verify(tight, vector, now)).code).toBe('timestamp_out_of_range');
    });
  }

  test('a source without a secret or key is a configuration error', () => {
    const field = c.scheme === 'sendgrid' ? 'publicKeys' : 'secrets';
    expect(() => sourceFor(c.scheme, [])).toThrow(
      new RegExp(`sources\\[0\\]\\.${field}: a .*source needs at least one`),
    );
  });
});

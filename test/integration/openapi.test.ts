import { randomBytes } from 'node:crypto';
import { compileErrors, validate } from '@readme/openapi-parser';
import { httpStatus } from '../../src/server/errorStatus';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret } from '../helpers/sign';

let junction: TestJunction;
type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
let doc: Doc;

beforeAll(async () => {
  // Every kind of route: webhooks (a source), connections and actions (admin keys), the codec (operator).
  junction = await startTestJunction(
    {
      admin: { apiKeys: [`admin-${randomBytes(16).toString('hex')}`] },
      codec: { operatorTokens: [`operator-${randomBytes(16).toString('hex')}`] },
      sources: [
        {
          id: 'acme',
          scheme: 'standard-webhooks',
          secrets: [newStandardSecret()],
          routes: [{ events: ['*'], forward: { url: 'http://127.0.0.1:9/' } }],
        },
      ],
    },
    { worker: false },
  );
  doc = (await (await fetch(`${junction.url}/openapi.json`)).json()) as Doc;
});
afterAll(async () => junction?.stop(), 60_000);

/** The routes the server registered, as `METHOD /path` with OpenAPI's `{param}` syntax (from fastify's tree). */
function registeredRoutes(): string[] {
  const tree = junction.app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes = new Set<string>();
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = Math.floor(at / 4);
    const match = /── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    stack.length = depth;
    stack.push(match[1] as string);
    if (!match[2]) continue;
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of match[2].split(', ')) {
      // HEAD is fastify's automatic twin of GET; OPTIONS are CORS preflights.
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.add(`${method} ${path}`);
    }
  }
  return [...routes].filter((route) => !/ \/(docs|openapi\.json)/.test(route));
}

test('the OpenAPI 3.1 document is valid', async () => {
  const result = await validate(structuredClone(doc) as never);
  if (!result.valid) throw new Error(compileErrors(result));
  expect(result.valid).toBe(true);
  expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
});

test('every registered route is in the document', () => {
  const routes = registeredRoutes();
  expect(routes.length).toBeGreaterThan(15);
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    ),
  );
  expect(routes.filter((route) => !documented.has(route))).toEqual([]);
});

test('error answers are documented with their codes, under the status each is answered with', () => {
  const codesAt = (path: string, method: string, status: number): string[] => {
    const response = doc.paths[path]?.[method]?.responses[String(status)] as
      { content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }> } | undefined;
    return response?.content?.['application/json']?.schema?.properties?.code?.enum ?? [];
  };
  expect(codesAt('/webhooks/{source}', 'post', 401)).toEqual(
    expect.arrayContaining(['missing_signature', 'invalid_signature']),
  );
  expect(codesAt('/webhooks/{source}', 'post', 503)).toContain('temporal_unavailable');
  expect(codesAt('/connections/{id}', 'get', 503)).toContain('connection_stuck');
  expect(codesAt('/connect/sessions', 'post', 400)).toEqual(
    expect.arrayContaining(['unknown_provider', 'return_to_not_allowed']),
  );
  expect(codesAt('/actions/{provider}/{action}', 'post', 404)).toEqual(
    expect.arrayContaining(['unknown_provider', 'unknown_action']),
  );
  // Every documented code sits under the status the server's one table gives it.
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const status of Object.keys(operation.responses).map(Number)) {
        if (status < 400 || (path === '/actions/{provider}/{action}' && status === 502)) continue;
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        for (const code of codesAt(path, method, status)) {
          expect({
            path,
            method,
            code,
            status: httpStatus(code as never, { method: method.toUpperCase(), url }),
          }).toEqual({
            path,
            method,
            code,
            status,
          });
        }
      }
    }
  }
});

test('/docs is a browsable reference whose assets are served here, not from a CDN', async () => {
  const page = await fetch(`${junction.url}/docs/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
  expect(sources.length).toBeGreaterThan(0);
  for (const source of sources) expect(source).not.toMatch(/^(https?:)?\/\//);
  for (const source of sources) {
    const asset = await fetch(new URL(source, `${junction.url}/docs/`));
    // Read to the end, or the connection stays busy and the server's close waits for it.
    await asset.arrayBuffer();
    expect({ source, status: asset.status }).toEqual({ source, status: 200 });
  }
});

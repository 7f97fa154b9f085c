import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** Where the browsable reference is served (its assets come from the package, never a CDN). */
export const DOCS_PATH = '/docs';
export const OPENAPI_PATH = '/openapi.json';

/**
 * The OpenAPI 3.1 document, generated from the routes' own zod schemas (so it cannot drift from what is
 * served), at `/openapi.json`, and a browsable reference at `/docs`. Registered before the routes, so every
 * route is recorded.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Junction',
        version: '0.1.0',
        description:
          'Webhooks in, provider calls out, credentials kept fresh. Every error answer is JSON ' +
          '`{code, message}` with a stable code (see docs/troubleshooting.md).',
      },
      tags: [
        { name: 'webhooks', description: 'provider webhooks, verified and handed to Temporal' },
        { name: 'connections', description: 'connections to providers and the OAuth flow' },
        { name: 'actions', description: 'durable provider actions' },
        { name: 'codec', description: 'the Temporal UI’s remote codec, for operators' },
        { name: 'operations', description: 'probes and metrics' },
      ],
      components: {
        securitySchemes: {
          adminKey: { type: 'http', scheme: 'bearer', description: 'an admin API key (admin.apiKeys)' },
          connectionToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'a token from POST /connections/:id/tokens (its connection’s actions only)',
          },
          operatorToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'an operator token (codec.operatorTokens)',
          },
          codecSession: {
            type: 'apiKey',
            in: 'cookie',
            name: 'junction_codec',
            description: 'from /codec/login',
          },
        },
      },
    },
    transform: createJsonSchemaTransform({ skipList: [OPENAPI_PATH, `${DOCS_PATH}/*`, DOCS_PATH] }),
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    // Scripts only from here (hashes for the page's own); swagger-ui sets element styles, which CSP counts as
    // inline styles, so those are allowed.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/style-src ([^;]*)/, "style-src $1 'unsafe-inline'"),
  });
  app.get(
    OPENAPI_PATH,
    { schema: { hide: true, response: { 200: z.record(z.string(), z.unknown()) } } },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );
}

/**
 * The baseline HTTP endpoint for the ingest benchmark: Fastify taking the same raw body and answering 202,
 * with no verification and no Temporal. Run as its own process: `node bareServer.js <port>`.
 */
import Fastify from 'fastify';

async function main() {
  const port = Number(process.argv[2]);
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/webhooks/:source', async (_request, reply) => reply.code(202).send({ status: 'accepted' }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  await app.listen({ host: '127.0.0.1', port });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();

/**
 * Exports workflow histories, with their payloads decoded, as JSON fixtures for the replay test
 * (test/replay/histories.test.ts): test/fixtures/histories/<workflow type>/<workflow id>--<run>.json.
 *
 *   JUNCTION_CODEC_KEYS=… npx tsx scripts/export-histories.ts --address 127.0.0.1:7233 \
 *     [--query "WorkflowType = 'connection'"] [--out test/fixtures/histories] [--distinct]
 *
 * `--distinct` keeps one history per distinct sequence of event types. Payloads are decoded with the keys in
 * JUNCTION_CODEC_KEYS, so fixtures need no key to replay: export only runs against test servers (fake
 * tokens), never production data.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createPayloadCodec, junctionDataConverter } from '../src/codec';
import { parseConfig } from '../src/config/load';
import { exportHistories } from '../test/helpers/exportHistories';

const { values } = parseArgs({
  options: {
    address: { type: 'string', default: '127.0.0.1:7233' },
    namespace: { type: 'string', default: 'default' },
    query: { type: 'string' },
    out: { type: 'string', default: join(__dirname, '..', 'test', 'fixtures', 'histories') },
    distinct: { type: 'boolean', default: false },
  },
});

async function main() {
  const codec = createPayloadCodec(parseConfig({}, { JUNCTION_CODEC_KEYS: process.env.JUNCTION_CODEC_KEYS }));
  const connection = await Connection.connect({ address: values.address });
  const client = new Client({
    connection,
    namespace: values.namespace,
    dataConverter: junctionDataConverter(codec),
  });
  const written = await exportHistories(client, codec, {
    query: values.query,
    out: values.out,
    distinct: values.distinct,
  });
  await connection.close();
  process.stdout.write(`wrote ${written} histories under ${values.out}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createPayloadCodec, junctionDataConverter } from '../src/codec';
import { parseConfig } from '../src/config/load';

const { values } = parseArgs({
  options: {
    address: { type: 'string', default: '127.0.0.1:7233' },
    namespace: { type: 'string', default: 'default' },
    query: { type: 'string' },
    out: { type: 'string', default: join(__dirname, '..', 'test', 'fixtures', 'histories') },
    distinct: { type: 'boolean', default: false },
  },
});

const isPayload = (value: unknown): value is Payload =>
  typeof value === 'object' && value !== null && 'metadata' in value && 'data' in value;

async function main() {
  const codec = createPayloadCodec(parseConfig({}, { JUNCTION_CODEC_KEYS: process.env.JUNCTION_CODEC_KEYS }));
  const connection = await Connection.connect({ address: values.address });
  const client = new Client({
    connection,
    namespace: values.namespace,
    dataConverter: junctionDataConverter(codec),
  });
  /** Decodes every payload in place (search attributes are indexed by the server and never encoded). */
  const decode = async (node: unknown): Promise<void> => {
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'indexedFields') continue;
      if (isPayload(value)) {
        (node as Record<string, unknown>)[key] = (await codec.decode([value]))[0];
      } else if (Array.isArray(value) && value.length > 0 && value.every(isPayload)) {
        (node as Record<string, unknown>)[key] = await codec.decode(value);
      } else {
        await decode(value);
      }
    }
  };
  const seen = new Set<string>();
  let written = 0;
  for await (const info of client.workflow.list({ query: values.query })) {
    const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    const shape = `${info.type}:${(history.events ?? []).map((e) => e.eventType).join(',')}`;
    if (values.distinct && seen.has(shape)) continue;
    seen.add(shape);
    await decode(history);
    const dir = join(values.out, info.type);
    mkdirSync(dir, { recursive: true });
    const name = `${info.workflowId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)}--${info.runId.slice(0, 8)}.json`;
    writeFileSync(join(dir, name), `${historyToJSON(history)}\n`);
    written++;
  }
  await connection.close();
  process.stdout.write(`wrote ${written} histories under ${values.out}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

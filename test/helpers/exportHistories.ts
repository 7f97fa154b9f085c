import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

const isPayload = (value: unknown): value is Payload =>
  typeof value === 'object' && value !== null && 'metadata' in value && 'data' in value;

/** Decodes every payload in place (search attributes are indexed by the server and never encoded). */
async function decodeAll(codec: PayloadCodec, node: unknown): Promise<void> {
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'indexedFields') continue;
    if (isPayload(value)) {
      (node as Record<string, unknown>)[key] = (await codec.decode([value]))[0];
    } else if (Array.isArray(value) && value.length > 0 && value.every(isPayload)) {
      (node as Record<string, unknown>)[key] = await codec.decode(value);
    } else {
      await decodeAll(codec, value);
    }
  }
}

/**
 * Writes the histories a visibility query lists, payloads decoded, as replay fixtures:
 * `<out>/<workflow type>/<workflow id>--<run>.json`. `distinct` keeps one per sequence of event types.
 */
export async function exportHistories(
  client: Client,
  codec: PayloadCodec,
  options: { query?: string; out: string; distinct?: boolean },
): Promise<number> {
  const seen = new Set<string>();
  let written = 0;
  for await (const info of client.workflow.list({ query: options.query })) {
    const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    const shape = `${info.type}:${(history.events ?? []).map((e) => e.eventType).join(',')}`;
    if (options.distinct && seen.has(shape)) continue;
    seen.add(shape);
    await decodeAll(codec, history);
    const dir = join(options.out, info.type);
    mkdirSync(dir, { recursive: true });
    const name = `${info.workflowId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)}--${info.runId.slice(0, 8)}.json`;
    writeFileSync(join(dir, name), `${historyToJSON(history)}\n`);
    written++;
  }
  return written;
}

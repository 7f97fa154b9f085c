import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export interface StoredHistory {
  /** The history as the server stores it, as JSON (payloads in base64): what anyone with access sees. */
  raw: string;
  /** Every payload in it (search attributes apart: the server indexes them, so they are never encoded). */
  payloads: temporal.api.common.v1.IPayload[];
  /** The payloads' plaintext, through the codec. */
  decoded: string[];
  /** Secret values found in the plaintext (tokens, client secrets, API keys, passwords, PKCE verifiers). */
  secrets: Set<string>;
}

const SECRET_FIELD = /"(accessToken|refreshToken|codeVerifier|clientSecret|apiKey|password)":"([^"]+)"/g;

/**
 * A `patched()` marker: Temporal's core SDK writes its details (the patch id and a deprecated flag) itself, so
 * the payload codec never sees them. Not Junction's data: left out of the payloads checked for encryption.
 */
export function isPatchMarker(node: object): boolean {
  return 'markerName' in node && (node as { markerName?: unknown }).markerName === 'core_patch';
}

/** Fetches one run's history, decodes its payloads with `codec` and collects the secrets they hold. */
export async function readStoredHistory(
  client: Client,
  codec: PayloadCodec,
  workflowId: string,
  runId?: string,
): Promise<StoredHistory> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const raw = JSON.stringify(
    temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.create(history), {
      bytes: String,
    }),
  );
  const payloads: temporal.api.common.v1.IPayload[] = [];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if ('indexedFields' in node || isPatchMarker(node)) return;
    if ('metadata' in node && 'data' in node) payloads.push(node as temporal.api.common.v1.IPayload);
    for (const value of Object.values(node)) walk(value);
  };
  walk(history);
  const decoded = (await codec.decode(payloads)).map((p) => Buffer.from(p.data ?? []).toString('utf8'));
  const secrets = new Set<string>();
  for (const text of decoded)
    for (const match of text.matchAll(SECRET_FIELD)) secrets.add(match[2] as string);
  return { raw, payloads, decoded, secrets };
}

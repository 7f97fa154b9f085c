import { readFileSync } from 'node:fs';
import type { Contact } from '../../src/demo/syncProvider';
import type { SqlDatabase } from '../../src/sync/store/sql';

/** Resident and peak resident memory of a process, in MB (from /proc/<pid>/status). */
export function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * The baseline of the sync benchmark: what a hand-written job would do with the same provider and the same
 * store: fetch each page from `updated_since`, and in one transaction per page upsert the records (plain
 * SQL, hash by md5 in the database), append their change rows and move its checkpoint. No Temporal, no
 * validation, no change detection beyond the upsert.
 */
export async function rawFetchAndUpsert(options: {
  db: SqlDatabase;
  streamId: string;
  crmUrl: string;
  apiKey: string;
  pageSize: number;
  since: number;
}): Promise<{ records: number; maxUpdatedAt: number }> {
  const { db, streamId } = options;
  let cursor: string | undefined;
  let records = 0;
  let maxUpdatedAt = options.since;
  do {
    const url = new URL('/contacts', options.crmUrl);
    url.searchParams.set('limit', String(options.pageSize));
    url.searchParams.set('updated_since', String(options.since));
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, { headers: { authorization: `Bearer ${options.apiKey}` } });
    const body = (await response.json()) as { results: Contact[]; next_cursor?: string };
    const page = body.results.map((c) => ({
      id: c.id,
      name: c.name,
      email: c.email,
      updatedAt: c.updated_at,
    }));
    await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ last_seq: string }>(
        `UPDATE sync_streams SET last_seq = last_seq + $2, next_page = $3, updated_at = now()
         WHERE stream_id = $1 RETURNING last_seq`,
        [streamId, page.length, JSON.stringify({ cursor: body.next_cursor ?? null })],
      );
      const first = Number(rows[0]?.last_seq) - page.length + 1;
      const seqs = page.map((_, i) => first + i);
      await tx.query(
        `INSERT INTO sync_records AS r (stream_id, record_id, data, hash, provider_version, base, seen_generation,
                                        first_seen_at, last_modified_at, seq)
         SELECT $1, w.id, w.data, md5(w.data::text), w.version, w.data, 0, now(), now(), w.seq
         FROM unnest($2::text[], $3::jsonb[], $4::text[], $5::bigint[]) AS w(id, data, version, seq)
         ON CONFLICT (stream_id, record_id) DO UPDATE SET data = EXCLUDED.data, hash = EXCLUDED.hash,
           provider_version = EXCLUDED.provider_version, base = EXCLUDED.base, seq = EXCLUDED.seq,
           last_modified_at = EXCLUDED.last_modified_at`,
        [
          streamId,
          page.map((r) => r.id),
          page.map((r) => JSON.stringify(r)),
          page.map((r) => String(r.updatedAt)),
          seqs,
        ],
      );
      await tx.query(
        `INSERT INTO sync_changes (stream_id, seq, record_id, action)
         SELECT $1, c.seq, c.id, 'added' FROM unnest($2::bigint[], $3::text[]) AS c(seq, id)`,
        [streamId, seqs, page.map((r) => r.id)],
      );
    });
    records += page.length;
    for (const r of page) maxUpdatedAt = Math.max(maxUpdatedAt, r.updatedAt);
    cursor = body.next_cursor;
  } while (cursor);
  return { records, maxUpdatedAt };
}

/**
 * A stream of `rows` records with one change row each, written by SQL alone (`generate_series`), as a
 * stream that has synced for a long time would hold them.
 */
export async function seedStream(db: SqlDatabase, connectionId: string, providerId: string, rows: number) {
  const streamId = `${connectionId}:contacts`;
  await db.query(
    `INSERT INTO sync_streams (stream_id, connection_id, sync_name, provider_id, last_seq)
     VALUES ($1, $2, 'contacts', $3, $4)`,
    [streamId, connectionId, providerId, rows],
  );
  await db.query(
    `INSERT INTO sync_records (stream_id, record_id, data, hash, provider_version, base, seen_generation,
                               first_seen_at, last_modified_at, seq)
     SELECT $1, s.id, s.data, md5(s.data::text), s.i::text, s.data, 0, now(), now(), s.i
     FROM (SELECT i, 'c' || lpad(i::text, 8, '0') AS id,
                  jsonb_build_object('id', 'c' || lpad(i::text, 8, '0'), 'name', 'Contact ' || i,
                                     'email', 'c' || i || '@example.test', 'updatedAt', i) AS data
           FROM generate_series(1, $2::int) AS i) AS s`,
    [streamId, rows],
  );
  await db.query(
    `INSERT INTO sync_changes (stream_id, seq, record_id, action)
     SELECT $1, i, 'c' || lpad(i::text, 8, '0'), 'added' FROM generate_series(1, $2::int) AS i`,
    [streamId, rows],
  );
  await db.query('ANALYZE sync_records');
  await db.query('ANALYZE sync_changes');
}

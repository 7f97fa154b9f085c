import pg from 'pg';
import { ClockOffset, localNow } from './clockOffset';
import type { SharedRateLimiter, Turn } from './limiter';

/** Clock readings taken when the limiter opens (see `ClockOffset`). */
const CALIBRATION_READINGS = 5;

/** Serialises the set-up of concurrently starting workers (CREATE OR REPLACE FUNCTION is not concurrent-safe). */
const SETUP_LOCK = 0x6a756e63; // "junc"

/**
 * One row per provider holds the time of its next free turn; `junction_rate_limit_take` reserves it under
 * the row lock and answers it with the database's clock reading, so the workers' clocks never need to agree
 * with each other (each maps the turn to its own clock through the offset it measures).
 */
const SETUP_SQL = `
CREATE TABLE IF NOT EXISTS junction_rate_limits (
  key text PRIMARY KEY,
  next_at timestamptz NOT NULL
);
CREATE OR REPLACE FUNCTION junction_rate_limit_take(p_key text, p_interval_ms double precision, p_reserve_ms double precision)
RETURNS TABLE (wait_ms double precision, granted boolean, slot_ms double precision, now_ms double precision)
LANGUAGE plpgsql AS $take$
DECLARE
  slot timestamptz;
  now_at timestamptz;
BEGIN
  SELECT l.next_at INTO slot FROM junction_rate_limits l WHERE l.key = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO junction_rate_limits (key, next_at) VALUES (p_key, '-infinity') ON CONFLICT (key) DO NOTHING;
    SELECT l.next_at INTO slot FROM junction_rate_limits l WHERE l.key = p_key FOR UPDATE;
  END IF;
  now_at := clock_timestamp();
  IF slot < now_at THEN
    slot := now_at;
  END IF;
  wait_ms := extract(epoch FROM slot - now_at) * 1000;
  granted := wait_ms <= p_reserve_ms;
  slot_ms := extract(epoch FROM slot) * 1000;
  now_ms := extract(epoch FROM now_at) * 1000;
  IF granted THEN
    UPDATE junction_rate_limits SET next_at = slot + p_interval_ms * interval '1 millisecond' WHERE key = p_key;
  END IF;
  RETURN NEXT;
END
$take$;
`;

/**
 * The shared limiter in PostgreSQL: one round trip per call (a function call that locks the provider's row
 * for microseconds). `schema`, when given, is created if missing and holds the table and the function.
 */
export async function openPostgresLimiter(
  url: string,
  options: { schema?: string; poolSize?: number } = {},
): Promise<SharedRateLimiter> {
  const { schema } = options;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new Error(`schema "${schema}" is not a lower-case SQL identifier`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 4,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
      await client.query(SETUP_SQL);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  // Turns are on the database's clock; they are mapped to this process's clock to be waited for. A few
  // readings over a warm connection first, so the first turns are not mapped through a cold round trip.
  const clock = new ClockOffset();
  for (let i = 0; i < CALIBRATION_READINGS; i++) {
    const sentAt = localNow();
    const reading = await pool.query<{ now_ms: number }>(
      'SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms',
    );
    clock.sample(Number(reading.rows[0]?.now_ms), sentAt, localNow());
  }
  return {
    kind: 'postgres',
    async take(key, intervalMs, reserveUpToMs): Promise<Turn> {
      const sentAt = localNow();
      const result = await pool.query<{ granted: boolean; slot_ms: number; now_ms: number }>(
        'SELECT granted, slot_ms, now_ms FROM junction_rate_limit_take($1, $2, $3)',
        [key, intervalMs, reserveUpToMs],
      );
      const receivedAt = localNow();
      const row = result.rows[0];
      if (!row) throw new Error('the rate limiter answered no turn');
      clock.sample(Number(row.now_ms), sentAt, receivedAt);
      // The latest the turn can be on this clock: a caller is never early for it.
      const at = clock.toLocal(Number(row.slot_ms)) + clock.uncertaintyMs;
      return { waitMs: Math.max(0, at - receivedAt), granted: row.granted, at };
    },
    close: () => pool.end(),
  };
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JunctionConfig } from '../config/schema';

/** Where `junction dev` keeps the operator token for the codec endpoints when none is configured. */
export const DEV_OPERATOR_TOKEN_FILE = 'operator-token';

/**
 * `junction dev` with no `codec.operatorTokens`: one token in the data directory (mode 0600), made once, so
 * the local operator can sign in at `/codec/login` and the UI can decode. Configured tokens win.
 */
export function devOperatorToken(config: Pick<JunctionConfig, 'codec' | 'dev'>): string[] {
  if (config.codec.operatorTokens.length > 0) return [];
  const dir = resolve(config.dev.dataDir);
  const file = join(dir, DEV_OPERATOR_TOKEN_FILE);
  if (existsSync(file)) return [readFileSync(file, 'utf8').trim()];
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return [token];
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { signingKey } from './signing';

/** Where `junction dev` keeps the delivery signing secret it made when none is configured. */
export const DEV_SIGNING_SECRET_FILE = 'delivery-signing-secret';

/**
 * `junction dev` with targets but no signing secrets: one `whsec_` secret in the data directory (mode 0600),
 * made once and kept across restarts, so local deliveries are signed like production ones and the application
 * under development can verify them with the secret from the file.
 */
export function devSigningSecret(dataDir: string): { secret: string; file: string; created: boolean } {
  const dir = resolve(dataDir);
  const file = join(dir, DEV_SIGNING_SECRET_FILE);
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (signingKey(secret)) return { secret, file, created: false };
  }
  mkdirSync(dir, { recursive: true });
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file, created: true };
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { JunctionConfig } from '../config/schema';
import { ConfigError } from '../shared/errors';
import { AesGcmPayloadCodec } from './aesGcm';

export { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, parseCodecKeyList } from './aesGcm';

/** Where `junction dev` keeps the key it generated when none is configured. */
export const DEV_KEY_FILE = 'codec-key.json';

/**
 * The payload codec from `codec.keys` (or `JUNCTION_CODEC_KEYS`). Without configured keys, `junction dev`
 * (`allowGenerate`) uses, or creates once, a key file in its data directory, so the embedded setup
 * encrypts too; other processes must be given keys, because they share them with the rest of the fleet.
 */
export function createPayloadCodec(
  config: Pick<JunctionConfig, 'codec' | 'dev'>,
  options: { allowGenerate?: boolean; onGenerated?: (file: string) => void } = {},
): AesGcmPayloadCodec {
  if (config.codec.keys.length > 0) {
    return new AesGcmPayloadCodec(
      config.codec.keys.map(({ id, key }) => ({ id, key: Buffer.from(key, 'base64') })),
      config.codec.currentKeyId,
    );
  }
  const file = join(resolve(config.dev.dataDir), DEV_KEY_FILE);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { id: string; key: string };
    return new AesGcmPayloadCodec([{ id: saved.id, key: Buffer.from(saved.key, 'base64') }]);
  }
  if (!options.allowGenerate) {
    throw new ConfigError(
      'codec.keys: no payload encryption key is configured (set codec.keys or JUNCTION_CODEC_KEYS="<id>:<base64 of 32 bytes>")',
    );
  }
  mkdirSync(resolve(config.dev.dataDir), { recursive: true });
  const generated = { id: `dev-${randomBytes(3).toString('hex')}`, key: randomBytes(32).toString('base64') };
  writeFileSync(file, JSON.stringify(generated), { mode: 0o600 });
  options.onGenerated?.(file);
  return new AesGcmPayloadCodec([{ id: generated.id, key: Buffer.from(generated.key, 'base64') }]);
}

/** The data converter every Junction client and worker uses: default JSON payloads, then the codec. */
export function junctionDataConverter(codec: AesGcmPayloadCodec): DataConverter {
  return { payloadCodecs: [codec] };
}

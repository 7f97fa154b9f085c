import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CodecError, ConfigError } from '../shared/errors';

/** Metadata `encoding` of a payload this codec encrypted (the Temporal samples' convention). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that encrypted the payload, so older keys can still decrypt. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface CodecKey {
  id: string;
  /** 32 raw bytes (AES-256). */
  key: Buffer;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * AES-256-GCM payload codec (NIST SP 800-38D): every payload is serialised (protobuf) and encrypted with the
 * current key under a fresh 96-bit IV; `encryption-key-id` names the key. Decoding accepts every configured
 * key, so a new key can become current while payloads written under an older one stay readable.
 * Payloads without the encrypted encoding (written before the codec was on) pass through unchanged.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  readonly currentKeyId: string;

  constructor(keys: CodecKey[], currentKeyId = keys[0]?.id) {
    if (keys.length === 0 || currentKeyId === undefined) {
      throw new ConfigError('the payload codec needs at least one key');
    }
    this.keys = new Map();
    for (const { id, key } of keys) {
      if (key.length !== KEY_BYTES) {
        throw new ConfigError(`codec key "${id}" must be ${KEY_BYTES} bytes`);
      }
      this.keys.set(id, key);
    }
    if (!this.keys.has(currentKeyId)) {
      throw new ConfigError(`the current codec key "${currentKeyId}" is not configured`);
    }
    this.currentKeyId = currentKeyId;
  }

  /** A key for another purpose (e.g. OAuth `state`), derived from the current key with HKDF (RFC 5869). */
  deriveKey(label: string): Buffer {
    return this.derive(this.currentKeyId, label);
  }

  /**
   * The key for `label` derived from every configured key, the current one first: what signs with the current
   * key and still verifies what older keys signed, so rotating codec keys rotates these too.
   */
  deriveKeys(label: string): Buffer[] {
    const others = [...this.keys.keys()].filter((id) => id !== this.currentKeyId);
    return [this.currentKeyId, ...others].map((id) => this.derive(id, label));
  }

  private derive(keyId: string, label: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.keys.get(keyId) as Buffer, new Uint8Array(), label, 32));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encryptOne(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decryptOne(payload));
  }

  private encryptOne(payload: Payload): Payload {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const plain = encodePayload(payload);
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: textEncoder.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: textEncoder.encode(this.currentKeyId),
      },
      data: sealed,
    };
  }

  private decryptOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || textDecoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = keyIdBytes ? textDecoder.decode(keyIdBytes) : '';
    const key = this.keys.get(keyId);
    if (!key) {
      throw new CodecError(
        'codec_key_unknown',
        `no codec key "${keyId}" is configured to decrypt this payload`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new CodecError('codec_decrypt_failed', 'the encrypted payload is truncated');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return decodePayload(plain);
    } catch (error) {
      throw new CodecError('codec_decrypt_failed', `payload authentication failed with key "${keyId}"`, {
        cause: error,
      });
    }
  }
}

/** The inner payload as the protobuf message, so any Temporal codec tooling reads the same plaintext. */
function encodePayload(payload: Payload): Buffer {
  return Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish());
}

function decodePayload(bytes: Buffer): Payload {
  const decoded = temporal.api.common.v1.Payload.decode(bytes);
  return { metadata: decoded.metadata, data: decoded.data };
}

/** Parses `id:base64,id:base64` (the first is current) as set in `JUNCTION_CODEC_KEYS`. */
export function parseCodecKeyList(value: string): Array<{ id: string; key: string }> {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      if (at <= 0) {
        throw new ConfigError('JUNCTION_CODEC_KEYS: each entry must be "<id>:<base64 key>"');
      }
      return { id: entry.slice(0, at), key: entry.slice(at + 1) };
    });
}

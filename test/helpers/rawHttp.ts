import { connect } from 'node:net';

/** What came back for one raw request: the status, the content type and the body, or no answer at all. */
export interface RawAnswer {
  status: number | undefined;
  contentType: string | undefined;
  body: Buffer;
}

/** Reassembles a chunked body (RFC 9112 §7.1); a malformed one yields what was read so far. */
function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    if (data.length < lineEnd + 2 + size) return { body: Buffer.concat(parts), complete: false };
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/** Parses a response so far; `complete` once its whole body is in (by length, chunks, or a bodiless status). */
function parse(data: Buffer, head: boolean): RawAnswer & { complete: boolean } {
  // Interim answers (100 Continue) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1'))) {
    const interimEnd = data.indexOf('\r\n\r\n');
    if (interimEnd < 0) break;
    data = data.subarray(interimEnd + 4);
  }
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { status: undefined, contentType: undefined, body: Buffer.alloc(0), complete: false };
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = data.subarray(end + 4);
  const answer = {
    status: Number.isNaN(status) ? undefined : status,
    contentType: headers.get('content-type'),
  };
  if (head || status === 204 || status === 304) return { ...answer, body: Buffer.alloc(0), complete: true };
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) return { ...answer, ...dechunk(rest) };
  const length = headers.get('content-length');
  if (length !== undefined) {
    const size = Number(length);
    return { ...answer, body: rest.subarray(0, size), complete: rest.length >= size };
  }
  return { ...answer, body: rest, complete: false };
}

/**
 * Writes `request` byte for byte to a fresh loopback connection (so nothing is normalised on the way, unlike
 * an HTTP client), half-closes when `endAfterWrite`, and reads one answer. `status` is undefined when the
 * server closed without answering or nothing came within `timeoutMs`.
 */
export function sendRaw(
  port: number,
  request: Buffer,
  options: { head?: boolean; endAfterWrite?: boolean; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const { complete: _complete, ...answer } = parse(Buffer.concat(chunks), options.head === true);
      resolve(answer);
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 10_000);
    socket.on('connect', () => {
      socket.write(request);
      if (options.endAfterWrite) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parse(Buffer.concat(chunks), options.head === true).complete) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

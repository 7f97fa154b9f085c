import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of `upstream` (`host:port`) that makes it slow on demand: every chunk, in
 * either direction, moves on `delayMs` after it came (in order), or not at all while `hold()` holds. Put in
 * front of Temporal's frontend, it stands for a Temporal that answers slowly, or not at all.
 */
export interface TcpProxy {
  /** `127.0.0.1:<port>`: where clients connect instead of the upstream. */
  address: string;
  /** Every chunk from now on moves `ms` after it came (latency, not a queue). */
  setDelay(ms: number): void;
  /**
   * Stops moving bytes in both directions (connections stay open, the bytes wait in the proxy): to the client,
   * the upstream has become very slow. New connections are held too.
   */
  hold(): void;
  /** Moves the held bytes on, in order, and passes everything through again (with the delay set). */
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstream: string): Promise<TcpProxy> {
  const host = upstream.slice(0, upstream.lastIndexOf(':'));
  const port = Number(upstream.slice(upstream.lastIndexOf(':') + 1));
  const sockets = new Set<Socket>();
  let delayMs = 0;
  /** While held: resolves when the hold ends. */
  let held: { released: Promise<void>; release: () => void } | undefined;

  const pipe = (from: Socket, to: Socket) => {
    // Chunks leave in the order they came: each waits for the one before it (and for a hold to end).
    let last = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      // A chunk is due `delayMs` after it came, whatever waits before it.
      const due = Date.now() + delayMs;
      const hold = held?.released;
      if (hold) last = last.then(() => hold);
      last = last
        .then(() => {
          const wait = due - Date.now();
          return wait > 0 ? new Promise<void>((resolve) => setTimeout(resolve, wait).unref()) : undefined;
        })
        .then(send);
    });
  };
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    const upstreamSocket = connect({ host, port });
    track(client);
    track(upstreamSocket);
    pipe(client, upstreamSocket);
    pipe(upstreamSocket, client);
    client.on('close', () => upstreamSocket.destroy());
    upstreamSocket.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const release = () => {
    held?.release();
    held = undefined;
  };
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDelay(ms) {
      delayMs = ms;
    },
    hold() {
      if (held) return;
      let resolve = () => undefined as void;
      const released = new Promise<void>((done) => (resolve = done));
      held = { released, release: resolve };
    },
    release,
    async close() {
      release();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

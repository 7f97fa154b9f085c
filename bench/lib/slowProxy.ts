import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of `upstream` (`host:port`) that makes it slow on demand: every chunk, in
 * either direction, moves on `delayMs` after it came (in order), or not at all while `stall()` holds.
 * Put in front of Temporal's frontend, it stands for a Temporal that answers slowly, or not at all.
 */
export interface SlowProxy {
  address: string;
  setDelay(ms: number): void;
  /** Holds every byte until `setDelay` is called again. */
  stall(): void;
  close(): Promise<void>;
}

export async function startSlowProxy(upstream: string): Promise<SlowProxy> {
  const host = upstream.slice(0, upstream.lastIndexOf(':'));
  const port = Number(upstream.slice(upstream.lastIndexOf(':') + 1));
  const sockets = new Set<Socket>();
  let delayMs = 0;
  /** While stalled: resolves when the stall ends. */
  let stall: { released: Promise<void>; release: () => void } | undefined;

  const pipe = (from: Socket, to: Socket) => {
    // Chunks leave in the order they came: each waits for the one before it (and for a stall to end).
    let last = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      // Latency, not a queue: a chunk is due `delayMs` after it came, whatever waits before it.
      const due = Date.now() + delayMs;
      const held = stall?.released;
      if (held) last = last.then(() => held);
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
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDelay(ms) {
      delayMs = ms;
      stall?.release();
      stall = undefined;
    },
    stall() {
      if (stall) return;
      let release = () => undefined as void;
      const released = new Promise<void>((resolve) => (release = resolve));
      stall = { released, release };
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

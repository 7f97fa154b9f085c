import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:<port>`: where clients connect instead of the upstream. */
  address: string;
  /**
   * Stops moving bytes in both directions (connections stay open, the bytes wait in the proxy): to the client,
   * the upstream has become very slow. New connections are held too.
   */
  hold(): void;
  /** Moves the held bytes on and passes everything through again. */
  release(): void;
  close(): Promise<void>;
}

/** A TCP proxy on loopback in front of `upstream` (`host:port`) that can hold traffic on demand. */
export async function startTcpProxy(upstream: string): Promise<TcpProxy> {
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.split(':').pop())];
  const sockets = new Set<Socket>();
  let holding = false;
  /** Chunks read while holding, in arrival order, with the socket each is for. */
  let held: Array<[Socket, Buffer]> = [];
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (holding) held.push([to, chunk]);
      else if (!to.destroyed) to.write(chunk);
    });
  const server = createServer((client) => {
    const upstreamSocket = connect({ host, port });
    track(client);
    track(upstreamSocket);
    forward(client, upstreamSocket);
    forward(upstreamSocket, client);
    client.on('close', () => upstreamSocket.destroy());
    upstreamSocket.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${proxyPort}`,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      const chunks = held;
      held = [];
      for (const [to, chunk] of chunks) if (!to.destroyed) to.write(chunk);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

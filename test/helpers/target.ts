import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TargetRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAt: number;
}

export type TargetAnswer =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  /** Destroy the socket without answering (a connection reset). */
  | 'reset';

export type TargetBehaviour = (request: TargetRequest, index: number) => TargetAnswer;

export interface Target {
  url: string;
  requests: TargetRequest[];
  behave(behaviour: TargetBehaviour): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<TargetRequest[]>;
  close(): Promise<void>;
}

/** Answers from a script: `scripted(500, 500, 200)` fails twice, then succeeds (and keeps succeeding). */
export function scripted(...statuses: Array<number | TargetAnswer>): TargetBehaviour {
  return (_request, index) => {
    const step = statuses[Math.min(index, statuses.length - 1)] ?? 200;
    return typeof step === 'number' ? { status: step } : step;
  };
}

/**
 * A real HTTP server standing in for the application: records every request and answers as told,
 * including misbehaviour (errors, Retry-After, slow answers, resets). Listens on loopback only.
 */
export async function startTarget(behaviour: TargetBehaviour = () => ({ status: 200 })): Promise<Target> {
  const requests: TargetRequest[] = [];
  let current = behaviour;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: TargetRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      const index = requests.length;
      requests.push(request);
      const answer = current(request, index);
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      const send = () => {
        timers.delete(timer);
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? '');
      };
      const timer = setTimeout(send, answer.delayMs ?? 0);
      timers.add(timer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave: (next) => {
      current = next;
    },
    async waitForRequests(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`target saw ${requests.length} of ${count} requests`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return requests;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

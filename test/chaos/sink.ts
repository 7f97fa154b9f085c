import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FORWARD_HEADERS } from '../../src/activities/forward';

/**
 * The application: a real HTTP server that answers 200 to every delivery and counts them by
 * `junction-delivery-id` and `junction-attempt`. An idempotent application processes each delivery id once;
 * a second request for the same id and the same attempt number would mean two executions delivered the event.
 */
export class Sink {
  /** Delivery id → the attempt number of every request received for it. */
  readonly attempts = new Map<string, number[]>();
  requests = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers[FORWARD_HEADERS.deliveryId] ?? '');
        const attempt = Number(req.headers[FORWARD_HEADERS.attempt] ?? 0);
        this.requests++;
        this.attempts.set(id, [...(this.attempts.get(id) ?? []), attempt]);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/in`;
  }

  /** Delivery ids whose requests carry some attempt number twice: delivered by two executions. */
  doubleDelivered(): string[] {
    return [...this.attempts].filter(([, list]) => new Set(list).size < list.length).map(([id]) => id);
  }

  /** Delivery ids received more than once (a retry after a worker was killed mid-delivery). */
  retried(): number {
    return [...this.attempts.values()].filter((list) => list.length > 1).length;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

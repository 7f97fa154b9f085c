import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { FORWARD_HEADERS } from '../../src/activities/forward';

/**
 * The application: a real HTTP server that verifies every delivery's Standard Webhooks signature with the
 * official library (a request that does not verify is answered 401 and counted, never as delivered), answers
 * 200, and counts deliveries by `junction-delivery-id` and `junction-attempt`. An idempotent application
 * processes each delivery id once; a second request for the same id and the same attempt number would mean two
 * executions delivered the event.
 */
export class Sink {
  /** Delivery id → the attempt number of every request received for it. */
  readonly attempts = new Map<string, number[]>();
  requests = 0;
  /** Requests whose signature did not verify (each would be a forgery to the application). */
  unverified = 0;
  private server: Server | undefined;
  private readonly webhook: Webhook;
  url = '';

  /** `secret`: the `whsec_` secret Junction signs deliveries with. */
  constructor(readonly secret: string) {
    this.webhook = new Webhook(secret);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests++;
        try {
          // Not parsed as JSON: a forwarded Twilio form is signed the same way.
          this.webhook.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>, {
            jsonParse: false,
          });
        } catch {
          this.unverified++;
          res.writeHead(401).end();
          return;
        }
        const id = String(req.headers[FORWARD_HEADERS.deliveryId] ?? '');
        const attempt = Number(req.headers[FORWARD_HEADERS.attempt] ?? 0);
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

import { Context } from '@temporalio/activity';
import { request } from 'undici';
import type { ConnectionsConfig } from '../config/schema';
import { signatureHeaders } from '../deliveries/signing';
import type { Logger } from '../logging/logger';
import { destinationRefusal } from '../network/destinations';
import type { Outbound } from '../network/outbound';
import { DeliveryError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import type { ConnectionEvent } from '../shared/connectionContract';
import { connectionActivityLog } from './connectionLog';

/** What the connection event activity needs: `connections.events` as configured now, a logger, the network. */
export interface ConnectionEventDeps {
  connectionsConfig: () => ConnectionsConfig;
  logger: Logger;
  outbound: Outbound;
  now?: () => number;
}

type EventsTarget = NonNullable<ConnectionsConfig['events']>;

/**
 * The `webhook-id` of a connection event: made from what the event is (its connection, type and the workflow
 * time it occurred at), so every retry of it carries the same id.
 */
export function connectionEventMessageId(event: ConnectionEvent): string {
  return `connection:${event.connectionId}:${event.type}:${event.occurredAt}`;
}

/**
 * POSTs the event, signed with the target's Standard Webhooks secrets, and answers the target's HTTP status;
 * an unreachable target fails, retryably, and one the network policy refuses fails for good.
 */
async function postConnectionEvent(
  target: EventsTarget,
  event: ConnectionEvent,
  log: Logger,
  { outbound, now }: { outbound: Outbound; now: () => number },
): Promise<number> {
  const signal = AbortSignal.any([
    Context.current().cancellationSignal,
    AbortSignal.timeout(target.timeoutMs),
  ]);
  const body = Buffer.from(JSON.stringify(event), 'utf8');
  try {
    const response = await request(target.url, {
      method: 'POST',
      headers: {
        ...target.headers,
        'content-type': 'application/json',
        'junction-event-type': event.type,
        'junction-connection-id': event.connectionId,
        ...signatureHeaders({
          id: connectionEventMessageId(event),
          timestampMs: now(),
          body,
          secrets: target.signingSecrets ?? [],
        }),
      },
      body,
      signal,
      dispatcher: outbound.dispatcher,
    });
    await response.body.dump();
    return response.statusCode;
  } catch (error) {
    log.warn({ err: error, event: event.type }, 'connection event not delivered');
    const refusal = destinationRefusal(error);
    if (refusal) throw toApplicationFailure(refusal);
    throw toApplicationFailure(
      new DeliveryError('target_unreachable', 'the events target could not be reached', {
        retryable: true,
      }),
    );
  }
}

/** The failure for a status outside 2xx: 408, 429 and 5xx are retried, any other is a rejection. */
function eventRejected(status: number) {
  const retry = status === 408 || status === 429 || status >= 500;
  return toApplicationFailure(
    new DeliveryError(
      retry ? 'target_error' : 'target_rejected',
      `the events target answered HTTP ${status}`,
      {
        retryable: retry,
        details: { status },
      },
    ),
  );
}

/** The `notifyConnectionEvent` activity: tells the application about a connection at `connections.events`. */
export function createNotifyConnectionEventActivity(deps: ConnectionEventDeps) {
  return async function notifyConnectionEvent(
    event: ConnectionEvent,
  ): Promise<{ delivered: boolean; status?: number }> {
    const log = connectionActivityLog(deps.logger, event.connectionId, event.providerId);
    const target = deps.connectionsConfig().events;
    if (!target) {
      log.warn({ event: event.type }, 'no connections.events target is configured; the event is only logged');
      return { delivered: false };
    }
    const status = await postConnectionEvent(target, event, log, {
      outbound: deps.outbound,
      now: deps.now ?? Date.now,
    });
    if (status >= 200 && status < 300) {
      log.info({ event: event.type, status }, 'connection event delivered');
      return { delivered: true, status };
    }
    throw eventRejected(status);
  };
}

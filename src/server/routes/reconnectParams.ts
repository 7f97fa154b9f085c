import type { ConnectionsClient } from '../../client/connectionsClient';
import { paramsFor } from '../../client/connectionInputs';
import type { ProviderDeclaration } from '../../providers/schema';
import type { ConnectionParams } from '../../providers/resolve';
import { ConnectionError, JunctionError } from '../../shared/errors';

/** The parameters of a connection that runs now, or undefined when there is none (or it was deleted). */
async function runningParams(
  connections: ConnectionsClient,
  connectionId: string,
): Promise<{ providerId: string; params?: ConnectionParams } | undefined> {
  try {
    const status = await connections.status(connectionId);
    return status.state === 'deleted' ? undefined : status;
  } catch (error) {
    if (error instanceof JunctionError && error.code === 'connection_not_found') return undefined;
    throw error;
  }
}

/**
 * The parameters a connect link carries. A new connection takes the given ones (or the defaults). A reconnect
 * (a link for a connection that exists) keeps the ones it was created with: they may be left out, and giving
 * other values is refused with `connection_params_differ` rather than authorizing at one tenant and then
 * refreshing at another. Only providers that declare parameters ask Temporal.
 */
export async function connectSessionParams(
  connections: ConnectionsClient,
  provider: ProviderDeclaration,
  connectionId: string,
  given: ConnectionParams | undefined,
): Promise<ConnectionParams | undefined> {
  if (Object.keys(provider.connectionParams).length === 0) return paramsFor(provider, given);
  const existing = await runningParams(connections, connectionId);
  // Another provider's connection, or one made before parameters existed: the callback decides as before.
  if (!existing?.params || existing.providerId !== provider.id) return paramsFor(provider, given);
  if (given === undefined) return existing.params;
  const wanted = paramsFor(provider, given) ?? {};
  const differing = Object.keys(wanted).filter((name) => wanted[name] !== existing.params?.[name]);
  if (differing.length > 0) {
    const was = differing.map((name) => `${name}="${existing.params?.[name] ?? ''}"`).join(', ');
    throw new ConnectionError(
      'connection_params_differ',
      `connection "${connectionId}" was made with ${was}, and a reconnect keeps its parameters: leave "params" ` +
        'out to reconnect it, or delete the connection and connect it again to change them',
      { details: { connectionId, differing } },
    );
  }
  return existing.params;
}

import { Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';

export interface TemporalTarget {
  /** Options for both the client (gRPC-js) and the worker (native) connections. */
  connectionOptions: NativeConnectionOptions;
  namespace: string | undefined;
  /** Whether an address came from the environment or a Temporal config profile (not the defaults). */
  configured: boolean;
}

/**
 * Connection settings the way every Temporal tool reads them (`@temporalio/envconfig`): `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE` and the TOML config file.
 */
export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const loaded = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  return {
    connectionOptions: loaded.connectionOptions,
    namespace: loaded.namespace,
    configured: Boolean(loaded.connectionOptions.address),
  };
}

function clientOptions(options: NativeConnectionOptions): ConnectionOptions {
  return {
    address: options.address,
    tls: options.tls,
    apiKey: options.apiKey,
    metadata: options.metadata,
  };
}

/** A client connection that connects on first use, so a server can start while Temporal is down. */
export function lazyClientConnection(options: NativeConnectionOptions): Connection {
  return Connection.lazy(clientOptions(options));
}

export async function connectClient(
  options: NativeConnectionOptions,
  extra: { connectTimeoutMs?: number } = {},
): Promise<Connection> {
  return Connection.connect({ ...clientOptions(options), connectTimeout: extra.connectTimeoutMs });
}

export async function connectWorker(options: NativeConnectionOptions): Promise<NativeConnection> {
  return NativeConnection.connect(options);
}

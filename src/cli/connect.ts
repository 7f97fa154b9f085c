import { Client } from '@temporalio/client';
import { JunctionClient } from '../client';
import { createPayloadCodec, junctionDataConverter } from '../codec';
import { loadConfig } from '../config/load';
import { TemporalError } from '../shared/errors';
import { connectClient, temporalTarget } from '../temporal/connection';

/** Connects the starter client the way the running service does (envconfig, then the config file). */
export async function connectJunction(): Promise<{ junction: JunctionClient; close: () => Promise<void> }> {
  const { config } = loadConfig();
  const target = temporalTarget();
  const address = target.connectionOptions.address ?? `${config.dev.ip}:${config.dev.port}`;
  let connection;
  try {
    connection = await connectClient({ ...target.connectionOptions, address }, { connectTimeoutMs: 5_000 });
  } catch (error) {
    throw new TemporalError(
      'temporal_unavailable',
      `cannot reach Temporal at ${address}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const client = new Client({
    connection,
    namespace: target.namespace ?? config.temporal.namespace,
    // The same codec as the running service: keys from the config, or `junction dev`'s key file.
    dataConverter: junctionDataConverter(createPayloadCodec(config)),
  });
  return {
    junction: new JunctionClient({ client, taskQueue: config.temporal.taskQueue, config }),
    close: () => connection.close(),
  };
}

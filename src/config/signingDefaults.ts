/** A target that may name its own signing secrets. */
interface Signable {
  signingSecrets?: string[];
}

interface SigningConfig {
  delivery: { signingSecrets?: string[] };
  sources: Array<{ routes: Array<{ forward?: Signable; targets: Array<{ forward?: Signable }> }> }>;
  connections: { events?: Signable };
  syncs: { notify?: Signable };
}

/**
 * Gives every target that sends to the application (route forwards, `connections.events`, `syncs.notify`) its signing
 * secrets: its own list, or else `delivery.signingSecrets`. Activities then read one place per target.
 */
export function withSigningSecrets<C extends SigningConfig>(config: C): C {
  const fallback = config.delivery.signingSecrets;
  const fill = (target: Signable | undefined) => {
    if (target && target.signingSecrets === undefined && fallback) target.signingSecrets = fallback;
  };
  for (const source of config.sources) {
    for (const route of source.routes) {
      fill(route.forward);
      for (const target of route.targets) fill(target.forward);
    }
  }
  fill(config.connections.events);
  fill(config.syncs.notify);
  return config;
}

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
 * Every target that sends to the application, each once, with the config path an operator wrote it at: a
 * route's `forward` shorthand also sits first in its normalised `targets`, so it is named as `forward` and the
 * written `targets` keep their own indexes.
 */
function signableTargets(config: SigningConfig): Array<{ path: string; target: Signable }> {
  const found: Array<{ path: string; target: Signable }> = [];
  config.sources.forEach((source, s) =>
    source.routes.forEach((route, r) => {
      const at = `sources[${s}].routes[${r}]`;
      if (route.forward) found.push({ path: `${at}.forward`, target: route.forward });
      const shift = route.forward && route.targets[0]?.forward === route.forward ? 1 : 0;
      route.targets.slice(shift).forEach((target, t) => {
        if (target.forward) found.push({ path: `${at}.targets[${t}].forward`, target: target.forward });
      });
    }),
  );
  if (config.connections.events)
    found.push({ path: 'connections.events', target: config.connections.events });
  if (config.syncs.notify) found.push({ path: 'syncs.notify', target: config.syncs.notify });
  return found;
}

/**
 * Gives every target that sends to the application (route forwards, `connections.events`, `syncs.notify`) its signing
 * secrets: its own list, or else `delivery.signingSecrets`. Activities then read one place per target.
 */
export function withSigningSecrets<C extends SigningConfig>(config: C): C {
  const fallback = config.delivery.signingSecrets;
  for (const { target } of signableTargets(config)) {
    if (target.signingSecrets === undefined && fallback) target.signingSecrets = fallback;
  }
  return config;
}

/**
 * The config paths of targets that would send to the application unsigned: neither their own
 * `signingSecrets` nor `delivery.signingSecrets`. A worker refuses to start with any (`junction dev` signs
 * them with a secret of its own instead), so the application can always tell Junction from a forger.
 */
export function unsignedTargets(config: SigningConfig): string[] {
  return signableTargets(config)
    .filter(({ target }) => !target.signingSecrets?.length && !config.delivery.signingSecrets?.length)
    .map(({ path }) => path);
}

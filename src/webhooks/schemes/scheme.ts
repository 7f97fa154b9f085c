/**
 * The contract every webhook signature scheme implements: one module a scheme, one object a module, one
 * line in the registry (`./index.ts`). Nothing here knows the config schema: the schema builds on schemes.
 */

/** What a scheme sees of a request: lower-cased headers and the body exactly as received. */
export interface InboundWebhook {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: Buffer;
  /** The request target as received (path and query), for schemes that sign the URL (Twilio). */
  url?: string;
}

/** What a scheme vouches for once the signature holds. */
export interface VerifiedWebhook {
  /** The provider's own delivery id, the dedupe key. */
  deliveryId: string;
  eventType: string;
  /** The body as the scheme parsed it (JSON, or form fields), when it did; ordering keys are read from it. */
  payload?: unknown;
  /**
   * An answer the scheme requires instead of a hand-off (Slack's `url_verification` challenge): the
   * request was verified, nothing is started, and this is sent back as it is.
   */
  reply?: { body: Record<string, unknown> };
}

/** What a scheme reads of its source, once configuration defaults apply (the config's `SourceConfig` is one). */
export interface SchemeSource {
  id: string;
  /** Shared secrets (and, for Standard Webhooks, `whpk_` public keys), several during a rotation. */
  secrets: readonly string[];
  /** Verification keys of schemes signed with a private key (SendGrid). */
  publicKeys: readonly string[];
  /** The URL the provider signs, as configured there (Twilio). */
  publicUrl?: string | undefined;
  /** The replay window, both ways, for schemes that sign a timestamp. */
  toleranceSeconds: number;
}

/** A source entry as written, before defaults: what the configuration rules look at. */
export interface SourceDraft {
  scheme: string;
  secrets?: readonly string[] | undefined;
  publicKeys?: readonly string[] | undefined;
  publicUrl?: string | undefined;
  toleranceSeconds?: number | undefined;
}

/** One problem in a source entry, at a path relative to the entry (`['publicKeys', 0]`). */
export interface ConfigIssue {
  path: Array<string | number>;
  message: string;
}

/** What to sign, for `junction webhooks send`, benchmarks and tests. */
export interface SignInput {
  /** The body to send; a scheme may add the event type or id to a JSON body (Stripe, Standard Webhooks). */
  body: string;
  /** The event type, where the scheme carries it in a header (GitHub, Shopify) or the JSON body's `type`. */
  eventType?: string | undefined;
  /** The delivery id, for schemes that carry one (a random one otherwise). */
  deliveryId?: string | undefined;
  /** PEM private key for schemes verified with a public key (SendGrid, Standard Webhooks `v1a`). */
  privateKeyPem?: string | undefined;
  /** Default `application/json`. */
  contentType?: string | undefined;
  nowMs?: number | undefined;
}

/** A request signed the way the provider signs it. */
export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
  /** Query string to add to the URL (Twilio's `?bodySHA256=…`), or ''. */
  query: string;
}

/** What the hand-off to Temporal came to. */
export interface DeliveryOutcome {
  status: 'accepted' | 'duplicate';
  workflowId: string;
}

/**
 * The answer a provider expects once an event is handed off, where Junction's JSON will not do (Twilio's
 * TwiML). The server sends it as a success (200) instead of its usual 202.
 */
export interface Acknowledgement {
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

/** Which keys a source of the scheme configures; the same rules hold for every scheme that declares them. */
export interface SchemeSettings {
  /** `secrets` (shared keys), or `publicKeys` when the provider signs with a private key (SendGrid). */
  keys: 'secrets' | 'publicKeys';
  /** The signature covers a timestamp, so `toleranceSeconds` applies; otherwise setting it is an error. */
  signsTimestamp: boolean;
  /** The provider signs the URL it posts to, so the source may (and `configRules` may require) `publicUrl`. */
  takesPublicUrl: boolean;
}

/** A webhook signature scheme: verify, sign, check its configuration, and say how to answer. */
export interface WebhookScheme<Id extends string = string> {
  readonly id: Id;
  readonly settings: SchemeSettings;
  /** Checks the signature over the raw bytes, then reads the delivery id and event type; throws a JunctionError. */
  verify(request: InboundWebhook, source: SchemeSource, nowMs: number): VerifiedWebhook;
  /** Signs a body as the provider would, with the source's first secret or the given private key. */
  sign(source: SchemeSource, input: SignInput): SignedRequest;
  /** The scheme's own configuration checks beyond `settings` (key formats, a required `publicUrl`). */
  configRules?(source: SourceDraft): ConfigIssue[];
  /** The answer after a hand-off; without it, the server answers 202 with the outcome as JSON. */
  acknowledge?(outcome: DeliveryOutcome): Acknowledgement;
}

import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import type { HttpMethod, ProviderRequest } from '../shared/calls';
import { retryChoiceSchema } from './settings';

const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const satisfies readonly HttpMethod[];

/**
 * A named provider call declared with the provider: method, a path template whose `{name}` parts come from
 * the input, a JSON Schema for the input, and a retry preset. Input fields that are not path parameters go
 * in the query string (GET, HEAD, DELETE) or the JSON body (POST, PUT, PATCH).
 */
export const actionSchema = z
  .object({
    description: z.string().optional(),
    method: z.enum(methods),
    path: z.string().regex(/^\/[^\s]*$/, 'must be a path starting with "/"'),
    /** JSON Schema (draft 2020-12 subset Ajv supports) the input must satisfy. */
    input: z.record(z.string(), z.unknown()).optional(),
    retry: retryChoiceSchema.optional(),
    /** Fixed headers for this action (never credentials: those come from the connection). */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .superRefine((action, ctx) => {
    if (action.input) {
      try {
        new Ajv({ strict: false }).compile(action.input);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['input'],
          message: `not a valid JSON Schema: ${(error as Error).message}`,
        });
      }
    }
  });

export type ActionDeclaration = z.output<typeof actionSchema>;

export const actionsSchema = z.record(
  z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'an action name is letters, digits, "_", "." or "-"'),
  actionSchema,
);

/** The input did not satisfy the action's schema; `errors` say where. */
export class ActionInputError extends Error {
  constructor(readonly errors: Array<{ path: string; message: string }>) {
    super(errors.map((e) => `${e.path || '(input)'}: ${e.message}`).join('; '));
    this.name = 'ActionInputError';
  }
}

const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function describe(errors: ErrorObject[] | null | undefined) {
  return (errors ?? []).map((error) => ({ path: error.instancePath, message: error.message ?? 'invalid' }));
}

const BODY_METHODS = new Set<HttpMethod>(['POST', 'PUT', 'PATCH']);

/** Turns a declared action and its input into the provider request; throws {@link ActionInputError}. */
export function resolveAction(action: ActionDeclaration, input: unknown): ProviderRequest {
  const given = input ?? {};
  if (action.input) {
    const validate = validatorFor(action.input);
    if (!validate(given)) throw new ActionInputError(describe(validate.errors));
  }
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new ActionInputError([{ path: '', message: 'must be an object' }]);
  }
  const rest: Record<string, unknown> = { ...(given as Record<string, unknown>) };
  const missing: string[] = [];
  const path = action.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const value = rest[name];
    delete rest[name];
    if (
      (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') ||
      value === ''
    ) {
      missing.push(name);
      return '';
    }
    return encodeURIComponent(String(value));
  });
  if (missing.length > 0) {
    throw new ActionInputError(
      missing.map((name) => ({ path: `/${name}`, message: 'is required by the path' })),
    );
  }
  const request: ProviderRequest = { method: action.method, path, headers: { ...action.headers } };
  if (BODY_METHODS.has(action.method)) {
    if (Object.keys(rest).length > 0) request.json = rest;
    return request;
  }
  const query: NonNullable<ProviderRequest['query']> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) query[name] = value.map((item) => String(item as string));
    else if (typeof value === 'object')
      throw new ActionInputError([{ path: `/${name}`, message: 'must not be an object in a query' }]);
    else query[name] = value as string | number | boolean;
  }
  if (Object.keys(query).length > 0) request.query = query;
  return request;
}

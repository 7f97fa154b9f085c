/**
 * A built-in provider as written in src/providers/builtin/*: plain data in the shape of a configured
 * provider (without `id`: the key is the id), checked by `providerSchema` at start-up like any other.
 */
export type BuiltinDeclaration = Record<string, unknown>;

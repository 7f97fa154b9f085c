export { BUILTIN_PROVIDERS, BUILTIN_TEMPLATES } from './builtin';
export { buildCatalogue, parseBuiltins, ProviderCatalogue } from './catalogue';
export { connectionParamValues, resolveProvider, type ConnectionParams } from './resolve';
export * from './schema';

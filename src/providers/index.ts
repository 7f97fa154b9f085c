export { BUILTIN_PROVIDERS } from './builtins';
export { buildCatalogue, ProviderCatalogue } from './catalogue';
export * from './schema';

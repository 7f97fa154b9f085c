/*
 * oauth4webapi and jose are ECMAScript modules only; Junction compiles to CommonJS for Node 20.18+, which
 * cannot require() them, so they are loaded once with a dynamic import (kept as import() by TypeScript's
 * node16 module mode). Under jest the same call is turned into require() of a transformed copy.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the linter's resolver cannot see ESM types from CJS
export type OAuthLib = typeof import('oauth4webapi', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- as above
export type JoseLib = typeof import('jose', { with: { 'resolution-mode': 'import' } });

let oauthLib: Promise<OAuthLib> | undefined;
let joseLib: Promise<JoseLib> | undefined;

export function loadOAuth(): Promise<OAuthLib> {
  return (oauthLib ??= import('oauth4webapi'));
}

export function loadJose(): Promise<JoseLib> {
  return (joseLib ??= import('jose'));
}

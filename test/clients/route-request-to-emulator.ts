/**
 * The smallest shim for a library that has no base-URL option and builds
 * `https://graph.facebook.com/...` itself (the `fb` package writes the host into a template string):
 * the `request` HTTP client that library calls gets the emulator's origin in place of
 * `https://graph.facebook.com`, and nothing else changes (path, query, body, method and headers
 * stay exactly as the library built them). Restored by the returned function.
 */
import { createRequire } from 'node:module';

interface RequestModule {
  Request: { prototype: { init: (this: { uri?: unknown }, options: unknown) => unknown } };
}

const GRAPH_ORIGIN = /^https:\/\/graph\.facebook\.com(?=\/|$)/;

/** Routes every Graph call that `fromPackage` makes through its `request` dependency to `origin`. */
export function routeRequestTo(origin: string, fromPackage: string): () => void {
  const own = createRequire(import.meta.url);
  const request = createRequire(own.resolve(fromPackage))('request') as RequestModule;
  const proto = request.Request.prototype;
  const init = proto.init;
  proto.init = function (this: { uri?: unknown }, options: unknown) {
    if (typeof this.uri === 'string' && GRAPH_ORIGIN.test(this.uri)) {
      this.uri = this.uri.replace(GRAPH_ORIGIN, origin);
    }
    return init.call(this, options);
  };
  return () => {
    proto.init = init;
  };
}

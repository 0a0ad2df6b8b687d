/**
 * A Connect interceptor that sends `Authorization: Bearer <token>`, the one way every screenshare.v1 service
 * authenticates a caller (see the services' comments). `token` may be a function, read at each call (a credential
 * that changes, e.g. after a refresh); an empty token sends no header. Written against Connect's request shape,
 * so this package needs no Connect dependency.
 */
export function bearer(token: string | (() => string)) {
  return <Request extends { readonly header: Headers }, Response>(next: (request: Request) => Promise<Response>) =>
    (request: Request): Promise<Response> => {
      const value = typeof token === "function" ? token() : token;
      if (value) request.header.set("authorization", `Bearer ${value}`);
      return next(request);
    };
}

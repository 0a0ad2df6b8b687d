// The bench's Connect transport: a bearer token, and a retry of the calls every service says are safe to retry.
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { bearer } from "@screenshare/protocol";

/** Calls retried after UNAVAILABLE or ABORTED, so a figure can say how many of its calls needed a second try. */
export interface RetryCount {
  calls: number;
}

/** Attempts per call: the back-off below then waits up to ~3 s in all, longer than a loaded LiveKit's hiccup. */
const ATTEMPTS = 6;

/**
 * Retries a unary call that answered UNAVAILABLE or ABORTED, with jittered exponential back-off from 50 ms: every
 * service's comment says both are safe to retry (a media-plane call that timed out, a store write lost to a
 * concurrent one). Any other code, and the last attempt's failure, reach the caller.
 */
export function retrying(count: RetryCount): Interceptor {
  return (next) => async (request) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(request);
      } catch (error) {
        const code = ConnectError.from(error).code;
        if (attempt === ATTEMPTS || (code !== Code.Unavailable && code !== Code.Aborted)) throw error;
        count.calls++;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1) * (0.5 + Math.random())));
      }
    }
  };
}

/** HTTP/1.1 to `baseUrl`, sending `Authorization: Bearer <token>` when a token is given, retrying as above. */
export function benchTransport(baseUrl: string, token: string, retries: RetryCount): Transport {
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [retrying(retries), bearer(token)] });
}

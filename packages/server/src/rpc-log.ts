import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Metrics } from "./metrics.js";

/** How deep a cause chain is followed: a chain is a few errors deep, and a cycle must not hang the log. */
const MAX_CAUSES = 8;

/**
 * What a failed RPC answered and why. `code` and `message` are what the client got (Connect answers any error that
 * is not a ConnectError as INTERNAL "internal error"); `causes` are the errors underneath, outermost first, each as
 * `Name: message` (stack-free and property-free: an error's properties may hold request arguments such as
 * credentials); `stack` is the original error's, for INTERNAL only.
 */
export function describeFailure(error: unknown): { code: Code; message: string; causes: string[]; stack?: string } {
  const answered = error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
  const causes: string[] = [];
  const seen = new Set<unknown>([answered]);
  // Only errors: a library may hang plain data on `cause` (jose puts a token's claims there).
  for (let cause = answered.cause; cause instanceof Error && !seen.has(cause) && causes.length < MAX_CAUSES; cause = cause.cause) {
    seen.add(cause);
    causes.push(`${cause.name}: ${cause.message}`);
  }
  const stack = answered.code === Code.Internal && answered.cause instanceof Error ? answered.cause.stack : undefined;
  return { code: answered.code, message: answered.rawMessage, causes, ...(stack ? { stack } : {}) };
}

/** Codes that mean the server failed, not the request: logged as errors. */
const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/**
 * Times every RPC and logs each failure with its code, its message and the chain of causes under it. Messages are
 * what the client is answered, so they hold session ids, never keys or credentials.
 */
export function rpcLog(metrics: Metrics, log: Logger): Interceptor {
  return (next) => async (request) => {
    const stop = metrics.rpcDuration.startTimer({ method: request.method.name });
    try {
      const response = await next(request);
      stop({ code: "ok" });
      return response;
    } catch (error) {
      const { code, ...failure } = describeFailure(error);
      stop({ code: Code[code] });
      const line = { method: request.method.name, code: Code[code], ...failure };
      if (SERVER_FAULTS.has(code)) log.error(line, "rpc failed");
      else log.info(line, "rpc failed");
      throw error;
    }
  };
}

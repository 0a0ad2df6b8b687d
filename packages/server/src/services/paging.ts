import { invalidArgument } from "../validation.js";

const DEFAULT_PAGE_SIZE = 20;

/** One page of `items` for a request with `page_size` (validated) and `page_token` (an offset this server issued). */
export function pageOf<T>(items: readonly T[], request: { pageSize: number; pageToken: string }): { page: T[]; nextPageToken: string } {
  const offset = request.pageToken === "" ? 0 : Number.parseInt(request.pageToken, 10);
  if (!Number.isSafeInteger(offset) || offset < 0 || String(offset) !== (request.pageToken || "0")) {
    throw invalidArgument([{ field: "page_token", description: "must be a next_page_token this server returned" }]);
  }
  const size = request.pageSize || DEFAULT_PAGE_SIZE;
  return { page: items.slice(offset, offset + size), nextPageToken: offset + size < items.length ? String(offset + size) : "" };
}

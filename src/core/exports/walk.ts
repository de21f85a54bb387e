import type { App } from '../module.js';
import { HttpProblem, problem } from '../http/problem.js';

/** Headers forwarded to each page request: who is asking and in which language, nothing else. */
const FORWARD = ['authorization', 'cookie', 'x-api-key', 'accept-language', 'origin', 'user-agent'];

export interface ListPage {
  data: Array<Record<string, unknown>>;
  nextCursor: string | null;
}

/**
 * Validates the list an admin wants to export: a GET path under /v1/admin (never the exports
 * route itself), its own filters in the query, without limit/cursor (the walk sets them).
 */
export function listUrl(path: string): URL {
  let url: URL;
  try {
    url = new URL(path, 'http://list.invalid');
  } catch {
    throw problem(400, 'export_invalid_list');
  }
  if (url.origin !== 'http://list.invalid' || !url.pathname.startsWith('/v1/admin/') || url.pathname.startsWith('/v1/admin/exports')) throw problem(400, 'export_invalid_list');
  url.searchParams.delete('limit');
  url.searchParams.delete('cursor');
  return url;
}

/**
 * Walks a paginated list page by page through the app itself (`inject`: the same route, guards,
 * filters and serialization as GET by hand, as the same caller). Only one page of 100 rows is in
 * memory at a time. The first page's problem (403, 400 for a bad filter…) is thrown as is.
 */
export async function* walkList(app: App, url: URL, headers: Record<string, string | string[] | undefined>): AsyncGenerator<ListPage> {
  const forwarded: Record<string, string> = {};
  for (const h of FORWARD) {
    const v = headers[h];
    if (typeof v === 'string') forwarded[h] = v;
  }
  let cursor: string | null = null;
  let first = true;
  do {
    const u = new URL(url);
    u.searchParams.set('limit', '100');
    if (cursor) u.searchParams.set('cursor', cursor);
    const res = await app.inject({ method: 'GET', url: u.pathname + u.search, headers: forwarded });
    if (res.statusCode !== 200) {
      if (!first) throw new Error(`export: page answered ${res.statusCode}`);
      let body: Record<string, unknown> = {};
      try {
        body = res.json();
      } catch {
        // not a problem document: fall back to the status alone
      }
      throw new HttpProblem(res.statusCode, typeof body.code === 'string' ? body.code : 'export_invalid_list', typeof body.detail === 'string' ? { detail: body.detail } : {});
    }
    const page = res.json() as ListPage;
    if (!Array.isArray(page?.data) || !('nextCursor' in page)) throw problem(400, 'export_not_a_list');
    first = false;
    yield page;
    cursor = page.nextCursor;
  } while (cursor);
}

/** A row's value for a column: nested objects and arrays as JSON text. */
export const cellOf = (row: Record<string, unknown>, column: string): unknown => {
  const v = row[column];
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
};

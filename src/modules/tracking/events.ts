import type { FieldError } from '../../core/http/problem.js';

export type EventType = 'pageview' | 'click' | 'custom' | 'engagement' | 'api';
export type PropValue = string | number | boolean | null;

/** One event as a page (or the server-side middleware) sends it. */
export interface EventInput {
  type: EventType;
  url: string;
  name?: string;
  referrer?: string;
  props?: Record<string, PropValue>;
  /** engagement: visible milliseconds since the previous report of this page. */
  duration?: number;
}

/** Who sent it, known once per request. */
export interface EventSource {
  at: Date;
  visitor: string;
  country: string | null;
  userId: string | null;
  guestId: string | null;
}

/** An event ready to be stored and counted. */
export interface RecordedEvent {
  id: string;
  at: Date;
  day: string;
  hour: string;
  visitor: string;
  type: EventType;
  name: string | null;
  path: string;
  referrer: string | null;
  utm: { source: string | null; medium: string | null; campaign: string | null; term: string | null; content: string | null };
  country: string | null;
  durationMs: number | null;
  props: Record<string, PropValue> | null;
  userId: string | null;
  guestId: string | null;
}

import { badText } from '../../core/http/input.js';

/** At most `max` characters; null for nothing, or for text PostgreSQL cannot store (NUL, lone surrogates from `%00`, `%ED%A0%80`). */
const cut = (s: string | null | undefined, max: number) => {
  const v = s ? s.slice(0, max) : null;
  return v && !badText(v) ? v : null;
};

/** The host of a referrer, without `www.`; null for none, an unparsable one or the page's own site. */
export function referrerHost(referrer: string | undefined, pageHost: string): string | null {
  if (!referrer) return null;
  let host: string;
  try {
    const url = new URL(referrer);
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'android-app:') return null;
    host = url.hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return null;
  }
  if (!host || host === pageHost.replace(/^www\./, '')) return null;
  return host.slice(0, 255);
}

export interface Limits {
  props: number;
  propsBytes: number;
}

/**
 * Checks what the schema cannot (a parsable http(s) URL, a name where the type needs one,
 * properties within the configured count and size), pushing field errors at `pointer`.
 */
export function checkEvent(e: EventInput, limits: Limits, pointer: string, errors: FieldError[]): void {
  let url: URL | null = null;
  try {
    url = new URL(e.url);
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    errors.push({ pointer: `${pointer}/url`, code: 'format', detail: 'An absolute http(s) URL' });
  }
  if ((e.type === 'click' || e.type === 'custom') && !e.name) {
    errors.push({ pointer: `${pointer}/name`, code: 'required', detail: `A ${e.type} event needs a name` });
  }
  if (e.type === 'engagement' && e.duration === undefined) {
    errors.push({ pointer: `${pointer}/duration`, code: 'required', detail: 'An engagement event needs a duration' });
  }
  if (e.props) {
    const keys = Object.keys(e.props);
    if (keys.length > limits.props) {
      errors.push({ pointer: `${pointer}/props`, code: 'maxProperties', detail: `At most ${limits.props} properties` });
    } else if (Buffer.byteLength(JSON.stringify(e.props)) > limits.propsBytes) {
      errors.push({ pointer: `${pointer}/props`, code: 'maxLength', detail: `Properties take at most ${limits.propsBytes} bytes as JSON` });
    }
  }
}

/** The stored form of a checked event (path, UTM from the URL, referrer host). */
export function recordOf(id: string, e: EventInput, src: EventSource): RecordedEvent {
  const url = new URL(e.url);
  const q = url.searchParams;
  const iso = src.at.toISOString();
  const props = e.props && Object.keys(e.props).length ? e.props : null;
  return {
    id,
    at: src.at,
    day: iso.slice(0, 10),
    hour: iso.slice(0, 13),
    visitor: src.visitor,
    type: e.type,
    name: e.type === 'pageview' || e.type === 'engagement' ? null : cut(e.name, 100),
    path: (decodeSafe(url.pathname) || '/').slice(0, 300),
    referrer: e.type === 'pageview' ? referrerHost(e.referrer, url.hostname.toLowerCase()) : null,
    utm: {
      source: cut(q.get('utm_source')?.toLowerCase(), 100),
      medium: cut(q.get('utm_medium')?.toLowerCase(), 100),
      campaign: cut(q.get('utm_campaign'), 100),
      term: cut(q.get('utm_term'), 100),
      content: cut(q.get('utm_content'), 100),
    },
    country: src.country,
    durationMs: e.type === 'engagement' ? (e.duration ?? 0) : null,
    props,
    userId: src.userId,
    guestId: src.guestId,
  };
}

function decodeSafe(path: string): string {
  try {
    const decoded = decodeURIComponent(path);
    // A decoded NUL or lone surrogate would be refused by PostgreSQL: keep the encoded form then.
    return badText(decoded) ? path : decoded;
  } catch {
    return path;
  }
}

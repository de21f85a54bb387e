/** A tracking event (POST /v1/tracking/events, docs/tracking.md). */
export interface TrackEvent {
  type: 'pageview' | 'click' | 'custom' | (string & {});
  url: string;
  name?: string;
  props?: Record<string, string | number | boolean | null>;
  referrer?: string;
}

/**
 * Sends events the way that survives a closing tab: navigator.sendBeacon with a text/plain body
 * (no CORS preflight, delivered after unload) in browsers, else fetch with keepalive.
 * Resolves true when the browser queued it or the server answered 2xx.
 */
export async function sendTrackingEvents(baseUrl: string, events: TrackEvent[], fetchImpl: typeof fetch = fetch): Promise<boolean> {
  const url = `${baseUrl}/v1/tracking/events`;
  const body = JSON.stringify({ events });
  const nav = (globalThis as { navigator?: { sendBeacon?: (url: string, data: Blob) => boolean } }).navigator;
  if (typeof nav?.sendBeacon === 'function' && typeof Blob !== 'undefined') {
    if (nav.sendBeacon(url, new Blob([body], { type: 'text/plain;charset=UTF-8' }))) return true;
  }
  try {
    const res = await fetchImpl(url, { method: 'POST', body, keepalive: true, credentials: 'include', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    return res.ok;
  } catch {
    return false;
  }
}

import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider for tests (the `oidc-provider` package) on a loopback port,
 * with one confidential client, PKCE required, and development interactions (a login form that
 * takes any account id, then a consent form). `accounts` decides the claims each id gets.
 */
export interface TestAccount {
  email: string;
  email_verified: boolean;
  name: string;
}

export async function startTestOidcProvider(opts: { clientId: string; clientSecret: string; redirectUris: string[] }) {
  const accounts = new Map<string, TestAccount>();
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Refuse any authorization request without PKCE (only S256 is enabled by default).
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['test-cookie-key-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
  });
  // http on loopback: the dev defaults want https behind a proxy otherwise.
  provider.proxy = true;
  server.on('request', provider.callback());

  /** Cookies the provider set, replayed on the next request to it (a browser's jar, all paths). */
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const store = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value) cookies.set(pair.slice(0, eq), value);
      else cookies.delete(pair.slice(0, eq));
    }
  };
  const go = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as object), cookie: cookieHeader() } });
    store(res);
    return res;
  };

  /**
   * Plays the user at the provider: opens the authorization URL, signs in as `accountId` on the
   * login form, consents, and answers the redirect back to our callback (with code and state).
   */
  async function authorize(authorizationUrl: string, accountId: string): Promise<URL> {
    let res = await go(authorizationUrl);
    for (let hop = 0; hop < 10; hop++) {
      if (res.status < 300 || res.status >= 400) throw new Error(`provider answered ${res.status}: ${await res.text()}`);
      const location = new URL(res.headers.get('location')!, issuer);
      if (location.origin !== issuer) return location;
      if (/^\/interaction\/[^/]+$/.test(location.pathname)) {
        const page = await go(location.href);
        const html = await page.text();
        const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
        const form = new URLSearchParams(prompt === 'login' ? { prompt, login: accountId, password: 'any' } : { prompt: prompt ?? 'consent' });
        res = await go(location.href, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      } else {
        res = await go(location.href);
      }
    }
    throw new Error('too many redirects at the provider');
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    accounts,
    authorize,
    /** Forget the provider session (a new browser). */
    clearCookies: () => cookies.clear(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type TestOidcProvider = Awaited<ReturnType<typeof startTestOidcProvider>>;

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../src/testing/app.js';
import { targets } from '../src/testing/targets.js';
import { freePort } from '../src/testing/servers.js';
import { launchBrowser, skipBrowserTests } from '../src/testing/browser.js';
import { waitFor } from '../src/testing/wait.js';
import { builtinModules } from '../src/modules/index.js';

/*
 * The production path of deploy/ with real processes: Debian's Caddy, configured by the shipped
 * deploy/Caddyfile, in front of Neptuno in production mode, with a certificate from a test CA made
 * here by openssl (no internet, so no Let's Encrypt). On PostgreSQL + Redis two replicas sit behind
 * the proxy, as in deploy/compose.yaml. Outside CI, without caddy or chromium, the suite skips
 * with a notice; CI (.ci/run) installs both.
 */
const CADDY = process.env.NEPTUNO_CADDY ?? '/usr/bin/caddy';
const have = (bin: string) => spawnSync(bin, ['version'], { stdio: 'ignore' }).status === 0;
const inCi = /^(1|true)$/i.test(process.env.CI ?? '');
const skip = skipBrowserTests || (!inCi && !have(CADDY));
if (skip) console.warn('NOTICE: HTTPS deployment tests skipped: caddy or chromium missing (apt-get install caddy chromium). CI runs them.');

const DOMAIN = 'neptuno.test';
const ROOT = new URL('..', import.meta.url).pathname;

/** A CA and a certificate for DOMAIN signed by it, as files, made by the system's openssl. */
function makeCertificates(dir: string): { ca: Buffer; cert: string; key: string } {
  const run = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Neptuno test CA');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'site.key', '-out', 'site.csr', '-subj', `/CN=${DOMAIN}`);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=DNS:${DOMAIN}\nextendedKeyUsage=serverAuth\n`);
  run('x509', '-req', '-in', 'site.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'site.pem', '-days', '2', '-extfile', 'san.ext');
  return { ca: readFileSync(join(dir, 'ca.pem')), cert: join(dir, 'site.pem'), key: join(dir, 'site.key') };
}

/**
 * deploy/Caddyfile as shipped, with what only a test changes: unprivileged ports, the test
 * certificate instead of ACME, no admin endpoint, state in a temporary folder, and the test
 * replicas as upstreams.
 */
function testCaddyfile(o: { http: number; https: number; cert: string; key: string; upstreams: string[] }): string {
  const shipped = readFileSync(join(ROOT, 'deploy/Caddyfile'), 'utf8');
  const out = shipped
    .replace('{\n\temail {$ACME_EMAIL}\n}', `{\n\thttp_port ${o.http}\n\thttps_port ${o.https}\n\tadmin off\n\tskip_install_trust\n}`)
    .replace('{$NEPTUNO_DOMAIN} {', `${DOMAIN} {\n\ttls ${o.cert} ${o.key}`)
    .replace('reverse_proxy 127.0.0.1:8000 {', `reverse_proxy ${o.upstreams.join(' ')} {`);
  for (const part of [`http_port ${o.http}`, `tls ${o.cert}`, o.upstreams[0]]) if (!out.includes(part)) throw new Error(`deploy/Caddyfile changed shape: ${part} not applied`);
  return out;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe.skipIf(skip).each(targets)('HTTPS through deploy/Caddyfile on $name', { timeout: 120_000 }, (target) => {
  let dir: string;
  let ca: Buffer;
  let ports: { http: number; https: number };
  let replicas: TestApp[] = [];
  let caddy: ChildProcess;
  let browser: Browser;
  let origin: string;

  /** An HTTPS request to the proxy, from `from` (a loopback address: one per simulated client). */
  const https = (path: string, o: { method?: string; headers?: Record<string, string>; from?: string; body?: string } = {}) =>
    new Promise<Answer>((ok, fail) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: ports.https, servername: DOMAIN, ca, path, method: o.method ?? 'GET', localAddress: o.from, headers: { host: `${DOMAIN}:${ports.https}`, ...o.headers } },
        (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', fail);
      req.end(o.body);
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-https-'));
    const certs = makeCertificates(dir);
    ca = certs.ca;
    ports = { http: await freePort(), https: await freePort() };
    origin = `https://${DOMAIN}:${ports.https}`;
    const config = {
      env: 'production',
      // What deploy/neptuno.service and deploy/compose.yaml set: the public https URL, one proxy hop.
      server: { host: '127.0.0.1', port: 0, publicUrl: origin, trustProxy: 1, docs: true },
      modules: { guests: { createPerIpPerHour: 2 } },
    };
    const first = await createTestApp({ target, modules: builtinModules, config });
    replicas = [first];
    if (target.redisUrl) replicas.push(await createTestApp({ target, modules: builtinModules, replicaOf: first }));
    const upstreams = await Promise.all(replicas.map(async (r) => new URL(await r.neptuno.listen()).host));

    writeFileSync(join(dir, 'Caddyfile'), testCaddyfile({ ...ports, ...certs, upstreams }));
    caddy = spawn(CADDY, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      env: { PATH: process.env.PATH!, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      stdio: 'ignore',
    });
    await waitFor(async () => (await https('/health/live').catch(() => null))?.status === 200, 'Caddy in front of Neptuno');
    // The test's domain resolves to this machine; the test CA is not in Chromium's store (only
    // for this test); and a page on a public name reaching a loopback address is what Chromium's
    // local-network checks stop, which is the test's topology, not a deployment's.
    browser = await launchBrowser([
      `--host-resolver-rules=MAP ${DOMAIN} 127.0.0.1`,
      '--ignore-certificate-errors',
      '--disable-features=LocalNetworkAccessChecks',
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    caddy?.kill();
    for (const r of replicas.reverse()) await r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const answer = await new Promise<Answer>((ok, fail) => {
      httpRequest({ host: '127.0.0.1', port: ports.http, path: '/v1/public/guest?x=1', headers: { host: DOMAIN } }, (res) => {
        res.resume();
        res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: '' }));
      })
        .on('error', fail)
        .end();
    });
    expect(answer.status).toBe(308);
    // On 80/443 the location is https://<domain>/…; Caddy leaves the test's port out.
    const location = new URL(String(answer.headers.location));
    expect([location.protocol, location.hostname, location.pathname + location.search]).toEqual(['https:', DOMAIN, '/v1/public/guest?x=1']);
  });

  it('answers over TLS with HSTS, HTTP/2 and compression', async () => {
    const live = await https('/health/live');
    expect(live.status).toBe(200);
    expect(live.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(live.headers.server).toBeUndefined();

    const h2 = http2Connect(`https://127.0.0.1:${ports.https}`, { ca, servername: DOMAIN });
    const status = await new Promise<number>((ok, fail) => {
      const stream = h2.request({ ':path': '/health/live', ':authority': `${DOMAIN}:${ports.https}` });
      stream.on('response', (headers) => ok(Number(headers[':status'])));
      stream.on('error', fail);
      stream.end();
    });
    h2.close();
    expect(status).toBe(200);

    const doc = await https('/openapi.json', { headers: { 'accept-encoding': 'gzip' } });
    expect(doc.status).toBe(200);
    expect(doc.headers['content-encoding']).toBe('gzip');
    // The proxy never serves Prometheus metrics (scraped on the private metrics port instead).
    expect((await https('/metrics')).status).toBe(404);
  });

  it("limits by the client's real address, not the proxy's and not one the client claims", async () => {
    const guest = (from: string) =>
      https('/v1/public/guest', { method: 'POST', from, headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, body: '{}' });
    // createPerIpPerHour: 2 — the third guest from one address is refused…
    expect((await guest('127.0.0.2')).status).toBe(201);
    expect((await guest('127.0.0.2')).status).toBe(201);
    const third = await guest('127.0.0.2');
    expect(third.status).toBe(429);
    expect(third.headers['content-type']).toContain('application/problem+json');
    // …while another client behind the same proxy, claiming the same forwarded address, is not.
    expect((await guest('127.0.0.3')).status).toBe(201);
  });

  it('signs a browser in over HTTPS with a Secure cookie that carries it to /ws over wss', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    // A page of the API's own origin (the API's answers forbid scripts by CSP, as they should).
    await context.route(`${origin}/page`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>page</title>' }));
    await page.goto(`${origin}/page`);
    // Production requires a verified email before a session: the account is made verified, as
    // `neptuno create-admin` does, and the browser signs in.
    const email = `https.${target.name}.${Date.now()}@example.com`;
    const password = 'mareas-y-caracolas-42';
    const { id: userId } = await replicas[0].ctx.services.auth!.createUser({ email, password, name: 'Ana', emailVerified: true });
    const signIn = await page.evaluate(
      async ({ email, password }) => {
        const res = await fetch('/v1/auth/sign-in/email', {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        });
        return res.status;
      },
      { email, password },
    );
    expect(signIn).toBe(200);

    const session = (await context.cookies()).find((c) => c.name.endsWith('.session_token'));
    expect(session).toMatchObject({ secure: true, httpOnly: true, domain: DOMAIN });
    expect(session!.name.startsWith('__Secure-')).toBe(true);

    const frames = await page.evaluate(
      ({ url, channel }) =>
        new Promise<string[]>((ok, fail) => {
          const seen: string[] = [];
          const ws = new WebSocket(url);
          ws.onmessage = (m) => {
            const frame = JSON.parse(String(m.data)) as { type: string; actor?: { kind: string; id?: string } };
            seen.push(frame.type === 'welcome' ? `welcome ${frame.actor?.kind} ${frame.actor?.id}` : frame.type);
            if (frame.type === 'welcome') ws.send(JSON.stringify({ type: 'subscribe', channel }));
            if (frame.type === 'subscribed' || frame.type === 'error') {
              ws.onclose = null;
              ws.close();
              ok(seen);
            }
          };
          ws.onclose = (e) => fail(new Error(`websocket closed ${e.code} ${e.reason} after ${seen.join(',')}`));
        }),
      { url: `wss://${DOMAIN}:${ports.https}/ws`, channel: `user:${userId}` },
    );
    expect(frames).toEqual([`welcome user ${userId}`, 'subscribed']);
    await context.close();
  });
});

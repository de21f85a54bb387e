import { productionFindings } from './checks.js';
import type { AppConfig } from './schema.js';

/**
 * `neptuno doctor`: what would go wrong if this configuration went on the internet today.
 * Start-up already refuses the unsafe values it can prove (productionFindings: weak secret,
 * CORS `*` with credentials, short tokens); the doctor adds what start-up must not refuse
 * because it is legitimate somewhere (plain-HTTP public URL on an intranet, no SMTP in a demo)
 * but is almost always a mistake on a public deployment. Each finding names the key and the fix.
 */
export interface DoctorFinding {
  /** `error`: fix before going live (the command exits 1). `warning`: read and decide. */
  level: 'error' | 'warning';
  key: string;
  code: string;
  message: string;
}

/** What the doctor needs to know of a module besides the configuration. */
export interface DoctorModule {
  name: string;
  /** Example modules (the guestbook) show the shape of a module; they are not for production. */
  example?: boolean;
}

const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127\./.test(host);

function urlProblems(config: AppConfig): DoctorFinding[] {
  let url: URL;
  try {
    url = new URL(config.server.publicUrl);
  } catch {
    return [{ level: 'error', key: 'server.publicUrl', code: 'public_url_invalid', message: `"${config.server.publicUrl}" is not a URL: set the public https address, e.g. https://api.example.com` }];
  }
  const out: DoctorFinding[] = [];
  if (url.protocol !== 'https:') {
    out.push({
      level: 'error',
      key: 'server.publicUrl',
      code: 'public_url_not_https',
      message: `is ${url.origin}: links in emails, OAuth callbacks and Secure cookies need the public https address (NEPTUNO_SERVER__PUBLIC_URL=https://api.example.com), served through the TLS proxy in deploy/ (docs/deployment.md)`,
    });
  }
  if (isLoopback(url.hostname)) {
    out.push({ level: 'error', key: 'server.publicUrl', code: 'public_url_loopback', message: `points at this machine (${url.host}): users cannot reach it; set the public domain` });
  }
  return out;
}

function proxyProblems(config: AppConfig): DoctorFinding[] {
  const { trustProxy, publicUrl } = config.server;
  const behindTls = publicUrl.startsWith('https:');
  if (behindTls && (trustProxy === false || trustProxy === 0)) {
    return [{
      level: 'error',
      key: 'server.trustProxy',
      code: 'trust_proxy_missing',
      message:
        'is off while the public URL is https: behind a TLS proxy Neptuno would see every request as coming from the proxy ' +
        '(one rate-limit bucket for all users, the proxy address in logs and audit) and as plain http. Set it to the number ' +
        'of proxies in front (NEPTUNO_SERVER__TRUST_PROXY=1 for one Caddy or nginx) or to their addresses',
    }];
  }
  if (trustProxy === true) {
    return [{
      level: 'warning',
      key: 'server.trustProxy',
      code: 'trust_proxy_any',
      message:
        'is true (trust every hop): a client that reaches a replica directly can claim any IP in X-Forwarded-For and escape ' +
        'the per-IP rate limits. Prefer the hop count (1) or the proxy addresses, and keep the replicas off the public network',
    }];
  }
  return [];
}

function exposureProblems(config: AppConfig): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const { origins } = config.server.cors;
  if (origins.includes('*')) {
    out.push({ level: 'warning', key: 'server.cors.origins', code: 'cors_any_origin', message: 'contains "*": any website can call the API from a browser. List your front-end origins exactly' });
  }
  for (const origin of origins.filter((o) => o.startsWith('http:') && !isLoopback(new URL(o).hostname))) {
    out.push({ level: 'warning', key: 'server.cors.origins', code: 'cors_plain_http', message: `${origin} is plain http: a page served without TLS can be altered in transit; use its https origin` });
  }
  if (config.server.docs === true) {
    out.push({ level: 'warning', key: 'server.docs', code: 'docs_public', message: 'is true: /docs and /openapi.json are public. Fine for a public API; otherwise leave it auto (off in production)' });
  }
  if (config.metrics.port === null && config.metrics.token === null) {
    out.push({ level: 'warning', key: 'metrics', code: 'metrics_off', message: 'neither metrics.port nor metrics.token is set: production serves no /metrics, so nothing can alert you (docs/operations.md)' });
  }
  if (config.log.level === 'debug' || config.log.level === 'trace') {
    out.push({ level: 'warning', key: 'log.level', code: 'log_verbose', message: `is ${config.log.level}: verbose logs cost throughput and may hold personal data; use info` });
  }
  return out;
}

function serviceProblems(config: AppConfig, modules: DoctorModule[]): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  if (config.env !== 'production') {
    out.push({
      level: 'error',
      key: 'env',
      code: 'not_production',
      message: `is ${config.env}: session cookies are not Secure and the start-up safety checks are off. Run with NODE_ENV=production`,
    });
  }
  if (!config.mail.url) {
    out.push({ level: 'error', key: 'mail.url', code: 'mail_not_configured', message: 'is not set: verification, password-reset and notification emails go to the development outbox and never arrive. Set MAIL_URL=smtp://user:pass@host:587' });
  }
  if (!backupsScheduled(config)) {
    out.push({ level: 'error', key: 'backups', code: 'backups_off', message: 'no scheduled backup: a lost disk or a bad migration loses the campaign. Turn on the backup cron (docs/backups.md)' });
  }
  if (config.database.url.startsWith('postgres') && !config.redis.url) {
    out.push({ level: 'warning', key: 'redis.url', code: 'redis_missing', message: 'PostgreSQL without Redis: rate limits, cache and websocket fan-out are per replica. Set REDIS_URL when you run more than one' });
  }
  for (const m of modules.filter((mod) => mod.example && config.modules[mod.name]?.enabled)) {
    out.push({ level: 'error', key: `modules.${m.name}.enabled`, code: 'example_module_on', message: `"${m.name}" is an example module, not for production: remove it from moduleFiles or set enabled: false` });
  }
  return out;
}

/** A scheduled backup: `backups.schedule` set (docs/backups.md). */
function backupsScheduled(config: AppConfig): boolean {
  return !!config.backups?.schedule;
}

/** Every finding for this configuration, errors first. Pure: reads nothing but its arguments. */
export function doctorFindings(config: AppConfig, modules: DoctorModule[] = []): DoctorFinding[] {
  // Judge the values as production would, even when the file still says development.
  const unsafe = productionFindings({ ...config, env: 'production' }).map(
    (f): DoctorFinding => ({ level: 'error', key: f.path.join('.'), code: f.code, message: f.message }),
  );
  const all = [...serviceProblems(config, modules), ...unsafe, ...urlProblems(config), ...proxyProblems(config), ...exposureProblems(config)];
  return [...all.filter((f) => f.level === 'error'), ...all.filter((f) => f.level === 'warning')];
}

/** Printable lines and the exit code of `neptuno doctor`. */
export function formatDoctor(findings: DoctorFinding[]): { lines: string[]; exitCode: 0 | 1 } {
  const errors = findings.filter((f) => f.level === 'error').length;
  const lines = findings.map((f) => `${f.level === 'error' ? 'ERROR  ' : 'warning'} ${f.key}: ${f.message} [${f.code}]`);
  lines.push(
    errors
      ? `${errors} problem(s) to fix before going live, ${findings.length - errors} warning(s).`
      : `Ready for production${findings.length ? ` (${findings.length} warning(s) to read)` : ''}.`,
  );
  return { lines, exitCode: errors ? 1 : 0 };
}

import type { SeoConfig } from './config.js';

/** robots.txt from `modules.seo.robots` (RFC 9309), with the sitemap's absolute URL. */
export function robotsTxt(config: SeoConfig, base: string): string {
  const r = config.robots;
  const lines: string[] = [];
  if (r.disallowAll) {
    lines.push('User-agent: *', 'Disallow: /');
  } else {
    for (const rule of r.rules) {
      if (lines.length) lines.push('');
      for (const ua of rule.userAgent) lines.push(`User-agent: ${ua}`);
      for (const path of rule.allow) lines.push(`Allow: ${path}`);
      for (const path of rule.disallow) lines.push(`Disallow: ${path}`);
      // A group needs at least one rule line; an empty Disallow allows everything.
      if (!rule.allow.length && !rule.disallow.length) lines.push('Disallow:');
      if (rule.crawlDelay) lines.push(`Crawl-delay: ${rule.crawlDelay}`);
    }
  }
  const sitemaps = [...(r.sitemap && config.sitemap.enabled ? [`${base}/sitemap.xml`] : []), ...r.extraSitemaps];
  if (sitemaps.length) lines.push('', ...sitemaps.map((s) => `Sitemap: ${s}`));
  return lines.join('\n') + '\n';
}

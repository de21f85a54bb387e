/**
 * The text part of an email from its HTML, for templates that do not write their own. Made for
 * the HTML our templates produce (paragraphs, headings, lists, links, line breaks), not for
 * arbitrary web pages: links become `label: url` so the URL stays whole and clickable in text
 * mail clients, block elements become blank lines, everything else loses its tags.
 */
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** One pass, so `&amp;lt;` becomes `&lt;` and not `<`. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (match, body: string) => {
    if (body[0] !== '#') return NAMED[body.toLowerCase()] ?? match;
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
  });
}

const stripTags = (s: string) => s.replace(/<[^>]*>/g, '');

export function htmlToText(html: string): string {
  let s = html
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    // HTML's own whitespace rule: runs of spaces and newlines are one space.
    .replace(/\s+/g, ' ');
  // Kept escaped here: the one decoding pass at the end must not meet a decoded `<` (user data).
  s = s.replace(/<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi, (_m, dq?: string, sq?: string, inner?: string) => {
    const href = (dq ?? sq ?? '').trim().replace(/^mailto:/i, '');
    const label = stripTags(inner ?? '').trim();
    if (!href || href.startsWith('#')) return label;
    return !label || decodeEntities(label) === decodeEntities(href) ? href : `${label}: ${href}`;
  });
  s = s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/?(p|div|h[1-6]|ul|ol|table|tr|blockquote|section|header|footer|hr)\b[^>]*>/gi, '\n\n')
    .replace(/<\/t[dh]\s*>/gi, ' ');
  s = decodeEntities(stripTags(s));
  return s
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

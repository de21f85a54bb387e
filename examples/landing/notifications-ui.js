// The landing page's news bar and notification inbox (the notifications module, docs/notifications.md).
// Kept apart from app.js: it reads who the visitor is from the `neptuno:visitor` event app.js
// dispatches, and listens on the same live connection (the visitor's user:/guest: channel).
import { createClient } from './neptuno-client.js';

const TEXT = {
  es: { news: 'Novedades', inbox: 'Avisos', empty: 'Nada por ahora', readAll: 'Marcar todo como leído', dismiss: 'Cerrar' },
  en: { news: 'News', inbox: 'Notifications', empty: 'Nothing yet', readAll: 'Mark all as read', dismiss: 'Close' },
};
const locale = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'es';
const t = TEXT[locale];
const api = createClient({ baseUrl: document.querySelector('meta[name="neptuno-api"]').content, locale });
const $ = (s) => document.querySelector(s);

function item(title, body, link) {
  const li = document.createElement('li');
  const strong = document.createElement(link ? 'a' : 'strong');
  if (link) strong.href = link;
  strong.textContent = title;
  const p = document.createElement('p');
  p.className = 'muted';
  p.textContent = body;
  li.append(strong, p);
  return li;
}

/** The news bar: GET /v1/public/news (audience-filtered, localized), dismissible items get a close button. */
async function renderNews() {
  const { data } = await api.request('GET', '/v1/public/news');
  const list = $('#news-list');
  list.replaceChildren();
  $('#news-count').textContent = data.length ? String(data.length) : '';
  if (!data.length) list.append(item(t.empty, ''));
  for (const n of data) {
    const li = item(n.title, n.body, n.link);
    if (n.dismissible) {
      const close = document.createElement('button');
      close.type = 'button';
      close.textContent = t.dismiss;
      close.addEventListener('click', async () => {
        await api.request('POST', `/v1/notifications/news/${n.id}/dismiss`, {}).catch(() => {});
        await renderNews();
      });
      li.append(close);
    }
    list.append(li);
  }
}

/** The inbox: GET /v1/notifications, the unread count on the bell. */
async function renderInbox() {
  const page = await api.request('GET', '/v1/notifications?limit=10');
  $('#inbox-count').textContent = page.unread ? String(page.unread) : '';
  const list = $('#inbox-list');
  list.replaceChildren();
  if (!page.data.length) list.append(item(t.empty, ''));
  for (const n of page.data) {
    const li = item(n.title, n.body, n.url);
    li.classList.toggle('unread', !n.read);
    li.dataset.testid = 'inbox-item';
    list.append(li);
  }
}

let following = null;

globalThis.addEventListener('neptuno:visitor', (event) => {
  const { who, live } = event.detail;
  renderNews().catch(() => {});
  if (who.kind === 'anonymous') return;
  renderInbox().catch(() => {});
  const channel = `${who.kind}:${who.id}`;
  if (following?.channel === channel) return;
  following?.off();
  // Inbox changes share the visitor's channel with gamification's awards: ours say kind "notifications".
  const off = live.subscribe(channel, {
    onMessage: (message) => {
      if (message?.kind !== 'notifications') return;
      $('#inbox-count').textContent = message.unread ? String(message.unread) : '';
      renderInbox().catch(() => {});
    },
    onReset: () => renderInbox().catch(() => {}),
  });
  following = { channel, off };
});

$('#news-title').textContent = t.news;
$('#inbox-title').textContent = t.inbox;
$('#read-all').textContent = t.readAll;
$('#read-all').addEventListener('click', async () => {
  await api.request('POST', '/v1/notifications/read-all', {}).catch(() => {});
  await renderInbox().catch(() => {});
});

// Front-end starter: plays as a guest, then signs up keeping the points. Plain ES modules, no
// build; for a typed client in a React/Vue app use the `neptuno-client` package (docs/sdk.md).
const COPY = {{copyJson}};
const API = document.querySelector('meta[name="neptuno-api"]').content.replace(/\/+$/, '');
const lang = navigator.language?.startsWith('en') ? 'en' : 'es';
const t = COPY[lang];
const $ = (s) => document.querySelector(s);

async function call(method, path, body) {
  const res = await fetch(API + path, {
    method,
    credentials: 'include', // the HttpOnly guest/session cookie
    headers: { 'accept-language': lang, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(data?.detail || data?.title || res.statusText);
  return data;
}

async function refresh() {
  const me = await call('GET', '/v1/gamification/me');
  $('#points').textContent = `${me.points} ${t.points}`;
}

$('#headline').textContent = t.headline;
$('#pitch').textContent = t.pitch;
$('#play').textContent = t.cta;
$('#sign-up-button').textContent = t.signUp;
for (const [name, label] of Object.entries({ name: t.name, email: t.email, password: t.password })) $(`#sign-up [name=${name}]`).placeholder = label;

$('#play').addEventListener('click', async () => {
  try {
    await call('POST', '/v1/gamification/events', { type: 'share', id: crypto.randomUUID() });
    await refresh();
  } catch (err) {
    $('#message').textContent = err.message;
  }
});
$('#sign-up').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = Object.fromEntries(new FormData(event.target));
  try {
    await call('POST', '/v1/auth/sign-up/email', form);
    await call('POST', '/v1/auth/sign-in/email', { email: form.email, password: form.password });
    $('#message').textContent = t.welcome;
    await refresh();
  } catch (err) {
    $('#message').textContent = err.message;
  }
});

await call('POST', '/v1/public/guest', {}).catch(() => undefined);
await refresh().catch((err) => ($('#message').textContent = err.message));

// The landing page's behaviour: become a guest, earn points by sharing, sign up and keep them;
// the score and the leaderboard update live over the API's websocket.
import { createClient } from './neptuno-client.js';
import { connectRealtime } from './neptuno-realtime.js';
import { askConsent } from './legal-ui.js';

const TEXT = {
  es: {
    headline: 'Comparte y gana',
    pitch: 'Comparte la campaña, suma puntos y consigue insignias. Sin registrarte: lo que ganes se guarda cuando crees tu cuenta.',
    share: 'Compartir',
    shared: (n, unit) => `¡+${n} ${unit}!`,
    notAwarded: 'Ya has compartido bastante por hoy.',
    newBadge: (name) => `Nueva insignia: ${name}`,
    yourScore: 'Tu puntuación',
    level: 'Nivel',
    nextLevel: (n, name) => `Te faltan ${n} para ${name}`,
    badges: 'Insignias',
    noBadges: 'Todavía ninguna',
    signUpTitle: 'Crea tu cuenta',
    signUpPitch: 'Conserva tus puntos y gana 100 más.',
    signInTitle: '¿Ya tienes cuenta?',
    name: 'Nombre',
    email: 'Correo electrónico',
    password: 'Contraseña (10 caracteres o más)',
    currentPassword: 'Contraseña',
    signUp: 'Registrarme',
    signIn: 'Entrar',
    signOut: 'Salir',
    accountTitle: 'Tu cuenta',
    accountPitch: 'Tus puntos e insignias están a salvo en tu cuenta. Sigue compartiendo para subir de nivel.',
    guest: (name) => `Jugando como ${name}`,
    user: (name) => `Hola, ${name}`,
    offline: 'No se puede conectar con el servidor.',
    otherLang: ['en', 'English'],
    leaderboard: 'Clasificación',
    noPlayers: 'Nadie ha sumado puntos todavía',
    myRank: (rank) => `Vas en el puesto ${rank}`,
    live: { connecting: 'Conectando…', open: 'En directo', closed: 'Reconectando…' },
  },
  en: {
    headline: 'Share and win',
    pitch: 'Share the campaign, earn points and collect badges. No sign-up needed: what you earn is kept when you create your account.',
    share: 'Share',
    shared: (n, unit) => `+${n} ${unit}!`,
    notAwarded: 'You have shared enough for today.',
    newBadge: (name) => `New badge: ${name}`,
    yourScore: 'Your score',
    level: 'Level',
    nextLevel: (n, name) => `${n} to go for ${name}`,
    badges: 'Badges',
    noBadges: 'None yet',
    signUpTitle: 'Create your account',
    signUpPitch: 'Keep your points and earn 100 more.',
    signInTitle: 'Already have an account?',
    name: 'Name',
    email: 'Email',
    password: 'Password (10 characters or more)',
    currentPassword: 'Password',
    signUp: 'Sign up',
    signIn: 'Sign in',
    signOut: 'Sign out',
    accountTitle: 'Your account',
    accountPitch: 'Your points and badges are safe in your account. Keep sharing to level up.',
    guest: (name) => `Playing as ${name}`,
    user: (name) => `Hi, ${name}`,
    offline: 'Cannot reach the server.',
    otherLang: ['es', 'Español'],
    leaderboard: 'Leaderboard',
    noPlayers: 'Nobody has scored yet',
    myRank: (rank) => `You are number ${rank}`,
    live: { connecting: 'Connecting…', open: 'Live', closed: 'Reconnecting…' },
  },
};

// Spanish unless asked for English (?lang=en) or the browser prefers English.
const asked = new URLSearchParams(location.search).get('lang');
const lang = asked === 'en' || asked === 'es' ? asked : (navigator.languages?.[0] ?? navigator.language ?? 'es').toLowerCase().startsWith('en') ? 'en' : 'es';
const t = TEXT[lang];

const api = createClient({ baseUrl: document.querySelector('meta[name="neptuno-api"]').content, locale: lang });
// Handy in the browser console (and for the end-to-end test): `await neptuno.me()`.
globalThis.neptuno = api;

const $ = (selector) => document.querySelector(selector);
const newId = () => globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

/** The problem's own words (already in our language), with field errors when there are some. */
function explain(err) {
  if (err.status === 0) return t.offline;
  const fields = (err.errors ?? []).map((e) => e.detail).filter(Boolean);
  return [err.detail || err.title, ...fields].join(' · ');
}

function translateStatic() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t[el.dataset.i18n];
  const [other, label] = t.otherLang;
  $('#lang').href = `?lang=${other}`;
  $('#lang').textContent = label;
}

function renderWho(who) {
  const signedIn = who.kind === 'user';
  $('#who').textContent = signedIn ? t.user(who.displayName) : who.kind === 'guest' ? t.guest(who.displayName) : '';
  $('#sign-out').hidden = !signedIn;
  $('#account').classList.toggle('signed-in', signedIn);
}

let pointsName = '';

function renderScore(me) {
  pointsName = me.points.name;
  $('#points').textContent = String(me.points.total);
  $('#points-name').textContent = me.points.name;
  $('#level').textContent = me.level?.name ?? '—';
  $('#level-progress').value = me.next ? me.next.progress : 1;
  $('#next-level').textContent = me.next ? t.nextLevel(me.next.pointsNeeded, me.next.name) : '';
  const list = $('#badges');
  list.replaceChildren();
  if (!me.badges.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = t.noBadges;
    list.append(li);
  }
  for (const badge of me.badges) {
    const li = document.createElement('li');
    li.className = 'badge';
    li.dataset.key = badge.key;
    li.textContent = `★ ${badge.name}`;
    list.append(li);
  }
}

/**
 * The all-time board. `board` is what GET /leaderboard answers (with the visitor's own entry and
 * rank) or what the live channel carries (the same for every viewer: no `isMe`, no `me`).
 */
function renderBoard(board, fromHttp = false) {
  const list = $('#leaderboard');
  list.replaceChildren();
  if (!board.data.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = t.noPlayers;
    list.append(li);
  }
  for (const entry of board.data) {
    const li = document.createElement('li');
    li.classList.toggle('me', entry.isMe);
    const name = document.createElement('span');
    name.textContent = `${entry.rank}. ${entry.displayName}`;
    const points = document.createElement('span');
    points.textContent = String(entry.points);
    li.append(name, points);
    list.append(li);
  }
  // The visitor's rank comes with HTTP answers only; a live board keeps the last one shown.
  if (fromHttp) $('#my-rank').textContent = board.me ? t.myRank(board.me.rank) : '';
}

const refreshBoard = () => api.leaderboard('all').then((board) => renderBoard(board, true), () => {});

// ---- Live updates ----

let live = null;
let personal = null; // { channel, off }

/**
 * Listens to the visitor's own channel (guest:<id> or user:<id>) and the public board. When the
 * visitor changes (sign-in, sign-out) the socket reconnects, so it authenticates with the new
 * cookie, and listens to the new channel.
 */
function follow(who) {
  const channel = who.kind === 'guest' || who.kind === 'user' ? `${who.kind}:${who.id}` : null;
  if (live && personal?.channel === channel) return;
  personal?.off();
  personal = null;
  if (!live) {
    live = connectRealtime({
      baseUrl: document.querySelector('meta[name="neptuno-api"]').content,
      onStatus: (state) => {
        $('#live').dataset.state = state;
        $('#live').textContent = t.live[state];
      },
    });
    globalThis.neptunoLive = live; // for the console and the end-to-end test
    live.subscribe('gamification:leaderboard:all', {
      onMessage: (board) => renderBoard(board),
      onReset: refreshBoard, // missed too much while away: ask over HTTP
    });
  } else live.reconnect();
  if (!channel) return;
  const off = live.subscribe(channel, {
    onMessage: async (award) => {
      if (!award?.points) return; // other modules share the channel (notifications: notifications-ui.js)
      // The new total at once; names of badges and levels (in our language) from /me.
      $('#points').textContent = String(award.points.total);
      renderScore(await api.me());
      refreshBoard(); // our own rank moved
    },
    onReset: () => api.me().then(renderScore, () => {}),
  });
  personal = { channel, off };
}

/** Who the visitor is (a new visitor becomes a guest) and their score. */
async function refresh() {
  let who = await api.whoami();
  if (who.kind === 'anonymous') {
    await api.guest();
    who = await api.whoami();
  }
  renderWho(who);
  renderScore(await api.me());
  $('#share').disabled = false;
  follow(who);
  // For the page's other parts (notifications-ui.js): who the visitor is and the live connection.
  globalThis.dispatchEvent(new globalThis.CustomEvent('neptuno:visitor', { detail: { who, live } }));
  await refreshBoard();
}

async function share() {
  $('#share').disabled = true;
  try {
    // Copying the link is the "share" here; a real campaign might open a social network's dialog.
    await navigator.clipboard?.writeText(location.href).catch(() => {});
    const id = newId();
    let result;
    try {
      result = await api.track('share', id);
    } catch (err) {
      // A route guarded by the legal module: show the documents, and try again once accepted.
      if (err.code !== 'consent_required' || !(await askConsent(api, err.documents, lang))) throw err;
      result = await api.track('share', id);
    }
    const awarded = result.points.awarded;
    const messages = [awarded > 0 ? t.shared(awarded, pointsName) : t.notAwarded];
    for (const badge of result.badges) messages.push(t.newBadge(badge.name));
    $('#share-result').textContent = messages.join(' · ');
    await refresh();
  } catch (err) {
    $('#share-result').textContent = explain(err);
  } finally {
    $('#share').disabled = false;
  }
}

/** Runs an account action from a form, showing the API's problem under the forms. */
function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    $('#account-error').textContent = '';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await action(Object.fromEntries(new FormData(form)));
      form.reset();
      await refresh();
    } catch (err) {
      $('#account-error').textContent = explain(err);
    } finally {
      button.disabled = false;
    }
  });
}

translateStatic();
$('#share').addEventListener('click', share);
// Sign-up never signs in (so it cannot reveal whether an email is taken): sign in right after.
onSubmit($('#sign-up'), async ({ name, email, password }) => {
  await api.signUp({ name, email, password });
  await api.signIn({ email, password });
});
onSubmit($('#sign-in'), ({ email, password }) => api.signIn({ email, password }));
$('#sign-out').addEventListener('click', async () => {
  await api.signOut().catch(() => {});
  $('#share-result').textContent = '';
  await refresh().catch((err) => ($('#share-result').textContent = explain(err)));
});
refresh().catch((err) => ($('#share-result').textContent = explain(err)));

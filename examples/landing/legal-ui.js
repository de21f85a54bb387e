// The legal module on the landing page: when an API call answers 428 `consent_required`, show the
// documents it lists (their current texts from GET /v1/public/legal/:slug) and record the
// visitor's acceptance (POST /v1/legal/accept) before trying again. No dependencies.

const TEXT = {
  es: { title: 'Antes de seguir', pitch: 'Lee y acepta estos documentos para continuar.', accept: 'Acepto', cancel: 'Ahora no', open: 'Leer el documento' },
  en: { title: 'Before you go on', pitch: 'Read and accept these documents to continue.', accept: 'I accept', cancel: 'Not now', open: 'Read the document' },
};

/**
 * Shows the documents of a `consent_required` problem and resolves true once every one of them
 * is accepted, false when the visitor declines.
 *
 * @param {ReturnType<import('./neptuno-client.js').createClient>} api
 * @param {Array<{ slug: string, version: string, title: { es: string, en: string }, url: string | null }>} documents
 * @param {'es' | 'en'} lang
 */
export async function askConsent(api, documents, lang) {
  const t = TEXT[lang];
  const dialog = document.querySelector('#consent');
  const list = dialog.querySelector('#consent-docs');
  dialog.querySelector('#consent-title').textContent = t.title;
  dialog.querySelector('#consent-pitch').textContent = t.pitch;
  const accept = dialog.querySelector('#consent-accept');
  const cancel = dialog.querySelector('#consent-cancel');
  const error = dialog.querySelector('#consent-error');
  accept.textContent = t.accept;
  cancel.textContent = t.cancel;
  error.textContent = '';
  list.replaceChildren();
  for (const doc of documents) {
    const section = document.createElement('section');
    section.dataset.slug = doc.slug;
    const h3 = document.createElement('h3');
    h3.textContent = `${doc.title[lang] ?? doc.slug} (${doc.version})`;
    section.append(h3);
    // The text itself (textContent: never parsed as HTML), or a link when the document lives elsewhere.
    const current = await api.request('GET', `/v1/public/legal/${encodeURIComponent(doc.slug)}?lang=${lang}`);
    if (current.content) {
      const body = document.createElement('div');
      body.className = 'legal-text';
      body.textContent = current.content[lang] ?? '';
      section.append(body);
    } else if (current.url) {
      const a = document.createElement('a');
      a.href = current.url;
      a.target = '_blank';
      a.rel = 'noopener';
      a.textContent = t.open;
      section.append(a);
    }
    list.append(section);
  }
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (value) => {
      accept.onclick = null;
      cancel.onclick = null;
      dialog.close();
      resolve(value);
    };
    cancel.onclick = () => done(false);
    accept.onclick = async () => {
      accept.disabled = true;
      try {
        // The version shown is the version accepted: a newer one published meanwhile answers 409.
        for (const doc of documents) await api.request('POST', '/v1/legal/accept', { slug: doc.slug, version: doc.version });
        done(true);
      } catch (err) {
        error.textContent = err.detail || err.title;
      } finally {
        accept.disabled = false;
      }
    };
  });
}

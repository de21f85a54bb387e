import type { Messages } from '../../core/i18n/index.js';

export const messages: Record<'es' | 'en', Messages> = {
  es: {
    seo_page_not_found: 'Página no encontrada',
    'seo_page_not_found.detail': 'No hay metadatos para esa ruta.',
    seo_page_exists: 'La página ya existe',
    'seo_page_exists.detail': 'Ya hay metadatos para {path} en el idioma {locale}.',
    seo_sitemap_not_found: 'Sitemap no encontrado',
    'seo_sitemap_not_found.detail': 'No existe esa parte del sitemap.',
  },
  en: {
    seo_page_not_found: 'Page not found',
    'seo_page_not_found.detail': 'There is no metadata for that path.',
    seo_page_exists: 'Page already exists',
    'seo_page_exists.detail': 'There is already metadata for {path} in locale {locale}.',
    seo_sitemap_not_found: 'Sitemap not found',
    'seo_sitemap_not_found.detail': 'That part of the sitemap does not exist.',
  },
};

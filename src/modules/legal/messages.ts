import type { Messages } from '../../core/i18n/index.js';

export const messages: Record<'es' | 'en', Messages> = {
  es: {
    consent_required: 'Debes aceptar los documentos legales',
    'consent_required.detail': 'Para continuar acepta la versión vigente de: {documents}.',
    legal_document_not_found: 'Documento no encontrado',
    'legal_document_not_found.detail': 'No hay un documento legal publicado con ese nombre.',
    legal_version_exists: 'Versión ya publicada',
    'legal_version_exists.detail': 'La versión {version} de {slug} ya existe; publica una versión nueva.',
    legal_version_not_current: 'Versión no vigente',
    'legal_version_not_current.detail': 'La versión vigente de {slug} es {current}; acepta esa versión.',
    legal_person_required: 'Solo personas',
    'legal_person_required.detail': 'Solo un usuario o un invitado puede aceptar documentos.',
  },
  en: {
    consent_required: 'You must accept the legal documents',
    'consent_required.detail': 'To continue, accept the current version of: {documents}.',
    legal_document_not_found: 'Document not found',
    'legal_document_not_found.detail': 'There is no published legal document with that name.',
    legal_version_exists: 'Version already published',
    'legal_version_exists.detail': 'Version {version} of {slug} already exists; publish a new version.',
    legal_version_not_current: 'Version not current',
    'legal_version_not_current.detail': 'The current version of {slug} is {current}; accept that version.',
    legal_person_required: 'People only',
    'legal_person_required.detail': 'Only a user or a guest can accept documents.',
  },
};

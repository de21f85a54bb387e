/** Mail for every module: `ctx.mail` (docs/mail.md). Transports live in ../drivers/mail. */
export { KernelMail, MAIL_JOB, type KernelMailOptions } from './service.js';
export { htmlToText } from './text.js';
export type { Mail, MailHeaders, MailJob, MailRequest, MailSendOptions, MailTemplate, MailTemplates, MailTemplateSource, RawMail, RenderedMail, TemplateMail } from './types.js';

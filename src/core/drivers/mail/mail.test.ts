import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/database.js';
import { migrateDatabase } from '../../db/migrate.js';
import { isolatedDatabase, targets, type IsolatedDatabase } from '../../../testing/targets.js';
import { startTestSmtp, type TestSmtp } from '../../../testing/smtp.js';
import { createMailer, mailMigrations, readOutbox } from './index.js';

describe.each(targets)('outbox mailer on %s', (target) => {
  let iso: IsolatedDatabase;
  let database: Database;

  beforeAll(async () => {
    iso = await isolatedDatabase(target);
    database = createDatabase({ url: iso.url, schema: iso.schema });
    await migrateDatabase(database, [{ owner: 'core', migrations: mailMigrations }]);
  });
  afterAll(async () => {
    await database?.destroy();
    await iso?.cleanup();
  });

  it('stores each email and logs its link', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = { info: (obj: Record<string, unknown>) => void lines.push(obj) } as never;
    const mailer = createMailer({ smtpUrl: null, from: 'Neptuno <dev@localhost>', database, log });
    await mailer.send({ to: 'ana@example.com', subject: 'Hola', text: 'Abre https://app.example/verify?t=1 ahora' });
    await mailer.send({ to: 'ana@example.com', subject: 'Second', text: 'no link', html: '<p>no link</p>' });
    const mails = await readOutbox(database.db, { to: 'ana@example.com' });
    expect(mails.map((m) => m.subject).sort()).toEqual(['Hola', 'Second']);
    expect(mails.find((m) => m.subject === 'Second')).toMatchObject({ from: 'Neptuno <dev@localhost>', html: '<p>no link</p>' });
    expect(lines[0]).toMatchObject({ to: 'ana@example.com', link: 'https://app.example/verify?t=1' });
    await mailer.close();
  });
});

describe('SMTP mailer', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startTestSmtp();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it('delivers through a real SMTP server, with non-ASCII text intact', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'Neptuno <no-reply@neptuno.test>', database: null as never });
    await mailer.send({ to: 'bob@example.com', subject: 'Contraseña', text: 'Hola, señor: https://x.example/a?b=c' });
    const mail = await smtp.waitFor('bob@example.com');
    expect(mail.from).toBe('no-reply@neptuno.test');
    expect(mail.text).toContain('Hola, señor');
    expect(mail.link).toBe('https://x.example/a?b=c');
    await mailer.close();
  });
});

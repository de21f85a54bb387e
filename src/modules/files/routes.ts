import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import type { App, ModuleContext } from '../../core/module.js';
import { decodeCursor, encodeCursor, Page, PageQuery } from '../../core/db/paginate.js';
import { badRequest, forbidden, notFound, problem, tooManyRequests } from '../../core/http/problem.js';
import type { Actor } from '../../core/http/access.js';
import type { FilesConfig } from './config.js';
import { FileView } from './view.js';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() }, { additionalProperties: true });
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9a-f]+$' }) });
const AvatarBody = Type.Object({ fileId: Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9a-f]+$' }) }, { additionalProperties: false });
const AvatarView = Type.Object({ avatarUrl: Type.String(), file: FileView });

const MULTIPART_DOC = 'multipart/form-data: `purpose` (a field, before the file) and `file`.';

export const avatarRef = (userId: string) => `users.avatar:${userId}`;

/**
 * POST/GET/DELETE /v1/files and PUT/DELETE /v1/profile/avatar (the module mounts at /v1). The
 * multipart parser lives in this scope only and streams: a part is never buffered whole.
 */
export async function fileRoutes(app: App, ctx: ModuleContext<FilesConfig>) {
  const files = () => ctx.services.files;
  await app.register(multipart, { throwFileSizeLimit: true });
  const signedIn = { onRequest: ctx.access.requireUser };

  /** The one file of a multipart upload, with its purpose (field first, or ?purpose=). */
  async function upload(req: FastifyRequest, actor: Actor, fixedPurpose?: string) {
    const rule = { limit: ctx.config.uploadsPerMinute, windowMs: 60_000 };
    const hit = await ctx.rateLimiter.hit(`files:upload:${actor.type}:${actor.id}`, rule);
    if (!hit.allowed) throw tooManyRequests(hit.retryAfterMs);
    if (!req.isMultipart()) throw badRequest('file_missing');
    let part;
    try {
      part = await req.file({
        limits: { fileSize: files().purposes.maxBytes() + 1, files: 1, fields: 8, fieldSize: 1024, parts: 10, headerPairs: 50 },
      });
    } catch {
      throw badRequest('upload_incomplete');
    }
    if (!part) throw badRequest('file_missing');
    const field = part.fields.purpose;
    const given = fixedPurpose ?? (req.query as { purpose?: string }).purpose ?? (field && !Array.isArray(field) && field.type === 'field' ? String(field.value) : undefined);
    const purpose = given ? files().purposes.get(given) : undefined;
    if (!given || !purpose) {
      part.file.resume();
      throw badRequest('file_purpose_unknown', { params: { purposes: files().purposes.names().join(', ') } });
    }
    if (purpose.uploadedBy === 'admin' && !ctx.access.can(actor, 'admin')) {
      part.file.resume();
      throw forbidden('file_purpose_forbidden', { params: { purpose: given } });
    }
    return files().create({
      purpose: given,
      ownerId: actor.type === 'user' ? actor.id : null,
      stream: part.file,
      filename: part.filename,
      contentType: part.mimetype,
    });
  }

  app.post(
    '/files',
    {
      ...signedIn,
      config: { scope: 'files:write' },
      schema: {
        tags: ['files'],
        summary: 'Upload a file',
        description: MULTIPART_DOC,
        consumes: ['multipart/form-data'],
        querystring: Type.Object({ purpose: Type.Optional(Type.String({ maxLength: 40 })) }),
        response: { 201: FileView, 400: Problem, 401: Problem, 403: Problem, 413: Problem, 415: Problem, 422: Problem, 429: Problem },
      },
    },
    async (req, reply) => {
      const view = await upload(req, (await req.actor())!);
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/files',
    { ...signedIn, config: { scope: 'files:read' }, schema: { tags: ['files'], summary: 'Your files, newest first', querystring: PageQuery, response: { 200: Page(FileView), 400: Problem, 401: Problem } } },
    async (req) => {
      const actor = (await req.actor())!;
      const limit = req.query.limit ?? 20;
      const after = req.query.cursor ? String(decodeCursor(req.query.cursor, 1)[0]) : undefined;
      const rows = await files().list(actor.id, { limit, after });
      const more = rows.length > limit;
      const data = await Promise.all(rows.slice(0, limit).map((r) => files().view(r)));
      return { data, nextCursor: more ? encodeCursor([data[data.length - 1].id]) : null };
    },
  );

  const own = async (req: FastifyRequest, id: string) => {
    const actor = (await req.actor())!;
    const row = await files().row(id);
    if (!row || (row.owner_id !== actor.id && !ctx.access.can(actor, 'admin'))) throw notFound('file_not_found');
    return row;
  };

  app.get(
    '/files/:id',
    { ...signedIn, config: { scope: 'files:read' }, schema: { tags: ['files'], summary: 'One of your files, with fresh links', params: Id, response: { 200: FileView, 401: Problem, 404: Problem } } },
    async (req) => files().view(await own(req, req.params.id)),
  );

  app.delete(
    '/files/:id',
    { ...signedIn, config: { scope: 'files:write' }, schema: { tags: ['files'], summary: 'Delete one of your files', params: Id, response: { 204: Type.Null(), 401: Problem, 404: Problem } } },
    async (req, reply) => {
      await own(req, req.params.id);
      await files().delete(req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/profile/avatar',
    {
      onRequest: ctx.access.requirePerson,
      config: { scope: 'profile:write' },
      schema: {
        tags: ['profile'],
        summary: 'Set your avatar',
        description: `JSON \`{ "fileId" }\` of an upload with purpose \`avatar\`, or ${MULTIPART_DOC} The previous avatar file is deleted.`,
        response: { 200: AvatarView, 400: Problem, 401: Problem, 403: Problem, 413: Problem, 415: Problem, 422: Problem, 429: Problem },
      },
    },
    async (req) => {
      const actor = (await req.actor())!;
      let fileId: string;
      if (req.isMultipart()) fileId = (await upload(req, actor, 'avatar')).id;
      else if (Value.Check(AvatarBody, req.body)) fileId = req.body.fileId;
      else throw badRequest('validation_failed', { errors: [{ pointer: '/body/fileId', code: 'required', detail: 'A file id (string) is required' }] });
      const file = await files().attach(fileId, { ref: avatarRef(actor.id), ownerId: actor.id, purpose: 'avatar', exclusive: true });
      const avatarUrl = file.variants.md?.url ?? file.url;
      await ctx.services.auth.updateUser(actor.id, { image: avatarUrl });
      return { avatarUrl, file };
    },
  );

  app.delete(
    '/profile/avatar',
    { onRequest: ctx.access.requirePerson, config: { scope: 'profile:write' }, schema: { tags: ['profile'], summary: 'Remove your avatar', response: { 204: Type.Null(), 401: Problem, 403: Problem } } },
    async (req, reply) => {
      const actor = (await req.actor())!;
      await ctx.services.auth.updateUser(actor.id, { image: null });
      await files().deleteByRef(avatarRef(actor.id));
      return reply.code(204).send(null);
    },
  );
  void problem;
}

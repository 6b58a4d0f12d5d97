import { type Request, type Response, Router } from 'express';
import Handlebars from 'handlebars';
import { createOutbox } from '../activities/outbox/outbox.js';
import type { PrismaClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import { isLoopback } from './network-addresses.js';
import { HttpProblem } from './problem.js';

const page = Handlebars.compile(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parcours dev outbox</title>
<style>body{font:15px system-ui;margin:2rem;max-width:60rem}article{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}pre{white-space:pre-wrap}small{color:#666}</style></head>
<body><h1>Dev outbox</h1><p>Mail the engine sent in embedded mode, newest first.</p>
{{#each messages}}<article><small>{{createdAt}} · {{channel}} · {{status}} · {{template}}</small><h2>{{subject}}</h2><p>To: {{to}}</p><pre>{{text}}</pre></article>
{{else}}<p>No mail yet.</p>{{/each}}</body></html>`);

/** The dev outbox (embedded/dev mode only): mail and text messages kept in the database, readable by a person or a script. */
export function createDevOutbox(deps: { prisma: PrismaClient; keyring: Keyring }): Router {
  const outbox = createOutbox(deps);
  const router = Router();
  // It shows live codes: only to this machine, by the socket's own peer address (a forwarded
  // header is the client's word). Anyone else finds nothing here. A page in this machine's
  // browser on a rebound DNS name passes this check: the Host allow-list (app.ts) stops it.
  router.use((req, _res, next) => {
    if (isLoopback(req.socket.remoteAddress)) return next();
    next(new HttpProblem('not_found', {}, { title: `No route for ${req.method} ${req.baseUrl}` }));
  });
  router.get('/', async (req: Request, res: Response) => {
    const rows = await deps.prisma.outboundMessage.findMany({
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: 100,
    });
    const messages = rows.map((row) => ({
      id: row.id,
      channel: row.channel,
      to: row.recipient,
      template: row.template,
      status: row.status,
      createdAt: row.createdAt.toISOString(),
      ...(outbox.open(row) ?? { subject: '(content delivered and wiped)', text: '', html: '' }),
    }));
    if (req.accepts(['html', 'json']) === 'json') res.json({ messages });
    else res.type('html').send(page({ messages }));
  });
  return router;
}

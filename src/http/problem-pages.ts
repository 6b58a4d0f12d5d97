import { STATUS_CODES } from 'node:http';
import { type Request, type Response, Router } from 'express';
import Handlebars from 'handlebars';
import { type ErrorCode, errorCatalogue, errorSpec } from '../errors/catalogue.js';
import { HttpProblem, problemSlug } from './problem.js';

/** What an app does about a problem, by its status. */
function whatToDo(status: number): string {
  if (status === 401) return 'Sign the customer in, then send the session token as a bearer token.';
  if (status === 403)
    return 'The session is short of what is asked (see `requirement`): have the customer authenticate again or step up, then retry.';
  if (status === 404)
    return 'Check the address; an unknown journey and a wrong journey token look the same.';
  if (status === 405) return 'Use one of the methods the `Allow` header lists.';
  if (status === 421)
    return 'Call the API at a name it is published under (PARCOURS_PUBLIC_URL, ALLOWED_HOSTS; on loopback, localhost or 127.0.0.1 with its port).';
  if (status === 409)
    return 'The journey is elsewhere than this request assumed: show the current view, carried in `view`.';
  if (status === 413 || status === 415 || status === 400)
    return 'Fix the request: a JSON body of at most 16 KiB, sent as application/json.';
  if (status === 422)
    return 'Show the customer what `errors` says, field by field (`path` is a JSON pointer into the body), and let them correct it.';
  if (status === 429) return 'Wait: `Retry-After` says for how long.';
  return 'Not the request: try again later. The details are in the service logs.';
}

const page = Handlebars.compile(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{code}} — Parcours problem</title>
<style>body{font:16px system-ui;margin:2rem;max-width:44rem;line-height:1.5}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><h1><code>{{code}}</code></h1>
<p><strong>{{status}} {{reason}}</strong> — {{message}}</p>
<p>{{#if shown}}The message may be shown to the customer as it is.{{else}}The message is for developers: show the customer a generic one.{{/if}}</p>
<h2>What to do</h2><p>{{whatToDo}}</p>
<p><small>Every problem the API answers is an RFC 9457 document with a stable <code>code</code>; its <code>type</code> leads here.</small></p>
</body></html>`);

const bySlug = new Map(
  (Object.keys(errorCatalogue) as ErrorCode[]).map((code) => [problemSlug(code), code]),
);

/** `GET /problems/{code}`: the page a problem's `type` URI leads to, as HTML or JSON. */
export function createProblemPages(): Router {
  const router = Router();
  router.get('/:slug', (req: Request, res: Response) => {
    const code = bySlug.get(String(req.params.slug));
    if (!code)
      throw new HttpProblem('not_found', {}, { title: `No problem named ${req.params.slug}` });
    const { status, message, shown } = errorSpec(code);
    const about = {
      code,
      status,
      reason: STATUS_CODES[status],
      message,
      shown,
      whatToDo: whatToDo(status),
    };
    if (req.accepts(['html', 'json']) === 'json') res.json(about);
    else res.type('html').send(page(about));
  });
  return router;
}

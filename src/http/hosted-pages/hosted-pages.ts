import { readFileSync } from 'node:fs';
import {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type Response,
  Router,
} from 'express';
import type { PrismaClient } from '../../db/prisma.js';
import { type ErrorCode, errorSpec } from '../../errors/catalogue.js';
import { storedAttributes } from '../../profile/profile-store.js';
import type { Keyring } from '../../security/keyring.js';
import type { SessionStore } from '../../sessions/session-store.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { type FieldError, HttpProblem } from '../problem.js';
import type { PublicView } from '../public-view.js';
import type { StepService } from '../step-service.js';
import { formInput } from './form-input.js';
import { loadCatalogues, PAGE_LOCALES, type PageLocale, translator } from './messages.js';
import { pageLocale } from './page-locale.js';
import { csrfTokens, pageCookies, pageHeaders } from './page-security.js';
import {
  type Brand,
  compilePageTemplates,
  errorMessage,
  type PageContext,
  pageChrome,
  stepPage,
} from './page-views.js';
import { stepForms } from './step-forms.js';

/** Where app.ts mounts the hosted pages. */
export const PAGES_PATH = '/pages';
const FLOW_COOKIE = 'parcours-flow-';
export const SESSION_COOKIE = 'parcours-session';
/** How long a flow's cookie lives: past any journey's lifetime, after which its token says expired. */
const FLOW_COOKIE_SECONDS = 24 * 3600;
/** The channel the hosted pages' runs are counted under, beside the apps' own. */
const PAGES_CHANNEL = 'hosted-pages';

export interface HostedPagesDeps {
  service: StepService;
  keyring: Keyring;
  sessions: Pick<SessionStore, 'resolve' | 'revoke'>;
  prisma: PrismaClient;
  requesterOf: (req: Request) => string;
  /** Allow-listed return addresses (RETURN_TO_ALLOWED): a flow may end there, so forms may go. */
  returnToAllowed: readonly string[];
  brand: Brand;
  /** Served over https: `__Host-` cookies, `Secure`. */
  secure: boolean;
  /** The upstream providers sign-in offers (SOCIAL_PROVIDERS): their ids and names. */
  socialProviders?: ReadonlyArray<{ id: string; name: string }>;
}

/**
 * The step a run waits at while the browser is at an upstream provider (social-login@1): the page
 * sends the browser there, and the provider's answer comes back to `/pages/social/{id}/callback`.
 */
export const REDIRECT_STEPS = new Set(['upstream']);

/** What a flow's cookie holds: its run's token, where to go after, its language, its app. */
interface Flow {
  /** The run's Journey-Token. */
  token: string;
  next?: string;
  locale?: PageLocale;
  /** The app's name and origins, when the flow finishes an app's sign-in. */
  client?: { name?: string; origins: string[] };
}

/**
 * Where a flow may send the browser once done: a hosted page or an interaction of the provider,
 * on this server, by path. Nothing that could leave it: no `//`, no backslash, no dot segment.
 */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  const at = value.indexOf('?');
  const path = at < 0 ? value : value.slice(0, at);
  const query = at < 0 ? '' : value.slice(at + 1);
  // The path decides where the browser goes: plain segments only, nothing encoded that a server
  // could read as a slash, a backslash or a dot. The query moves nothing (it may carry a `next`).
  if (!/^\/(pages|oidc\/interaction)(\/[A-Za-z0-9@._~!$&'()*+,;=:-]+)*\/?$/.test(path))
    return undefined;
  if (path.includes('//') || /\/\.\.?(\/|$)/.test(path)) return undefined;
  if (!/^[A-Za-z0-9@._~!$&'()*+,;=:%/?-]*$/.test(query)) return undefined;
  return value;
}

const firstString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : Array.isArray(value) ? firstString(value[0]) : undefined;

/**
 * The hosted pages: every journey as plain HTML forms, drawn from its steps' JSON Schemas, in
 * French or English. They drive runs through the same service as the step API, in process, with
 * the browser's own requester (so throttles count the customer's network, not this server's), and
 * keep a run's token and the customer's session in HttpOnly cookies (page-security.ts).
 *
 * - `GET /pages/{journey}` starts a run (start fields from the query: `login_hint`, `ui_locales`,
 *   `return_to`, …; `next`, a local page to go to once done) and sends the browser to its page.
 * - `GET /pages/flow/{id}` shows the run's current step; `POST` the same address submits it.
 * - `GET /pages/` says whether the browser is signed in; `POST /pages/sign-out` ends its session.
 */
export function createHostedPages(deps: HostedPagesDeps) {
  const { service } = deps;
  const templates = compilePageTemplates();
  const catalogues = loadCatalogues();
  const cookies = pageCookies(deps.secure);
  const csrf = csrfTokens(deps.keyring);
  const brandCss = `:root { --brand-color: ${deps.brand.color}; --brand-background: ${deps.brand.background}; }\n`;
  const assets = new Map([
    ['pages.css', { type: 'text/css', body: readAsset('pages.css') }],
    ['webauthn.js', { type: 'text/javascript', body: readAsset('webauthn.js') }],
    ['brand.css', { type: 'text/css', body: Buffer.from(brandCss) }],
  ]);
  const returnOrigins = deps.returnToAllowed.map((prefix) => new URL(prefix).origin);
  const logoOrigin = deps.brand.logo?.startsWith('https://')
    ? [new URL(deps.brand.logo).origin]
    : [];
  const router = Router();
  let signOutHook: ((req: Request, res: Response) => Promise<void>) | undefined;

  const headers = (res: Response, flow?: Flow) =>
    pageHeaders(res, {
      formTargets: [...new Set([...returnOrigins, ...(flow?.client?.origins ?? [])])],
      images: logoOrigin,
    });

  /** The session behind the browser's session cookie, if any (expired and revoked ones are none). */
  async function browserSession(req: Request) {
    const token = cookies.read(req, SESSION_COOKIE);
    const session = token ? await deps.sessions.resolve(token) : undefined;
    return session && token ? { session, token } : undefined;
  }

  /** The page's language: `ui_locales`, then the customer's stored locale, then the browser's. */
  async function localeOf(req: Request, flow?: Flow, uiLocales?: string): Promise<PageLocale> {
    const asked = uiLocales ?? firstString(req.query.ui_locales);
    if (asked || flow?.locale)
      return pageLocale({
        uiLocales: asked ? asked.split(' ') : [flow?.locale as string],
        acceptLanguage: req.get('accept-language'),
      });
    const signedIn = await browserSession(req);
    const stored = signedIn
      ? (await storedAttributes(deps.prisma, signedIn.session.userId)).get('locale')
      : undefined;
    return pageLocale({
      ...(typeof stored === 'string' ? { stored } : {}),
      acceptLanguage: req.get('accept-language'),
    });
  }

  const contextOf = (req: Request, locale: PageLocale): PageContext => ({
    t: translator(catalogues, locale),
    locale,
    brand: deps.brand,
    path: req.originalUrl,
  });

  function readFlow(req: Request, id: string): Flow | undefined {
    const raw = cookies.read(req, `${FLOW_COOKIE}${id}`);
    if (!raw) return undefined;
    let flow: Partial<Flow>;
    try {
      flow = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Flow>;
    } catch {
      return undefined;
    }
    if (typeof flow.token !== 'string') return undefined;
    // The browser holds this cookie and may have changed it: every part is checked again as read,
    // as it was when written (a `next` elsewhere, an origin that would write CSP directives).
    const next = safeNext(flow.next);
    const origins = Array.isArray(flow.client?.origins)
      ? flow.client.origins.filter(
          (origin): origin is string =>
            typeof origin === 'string' && /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?$/.test(origin),
        )
      : [];
    return {
      token: flow.token,
      ...(next ? { next } : {}),
      ...(PAGE_LOCALES.includes(flow.locale as PageLocale) ? { locale: flow.locale } : {}),
      ...(flow.client
        ? {
            client: {
              ...(typeof flow.client.name === 'string' ? { name: flow.client.name } : {}),
              origins,
            },
          }
        : {}),
    };
  }

  const writeFlow = (res: Response, id: string, flow: Flow) =>
    cookies.set(
      res,
      `${FLOW_COOKIE}${id}`,
      Buffer.from(JSON.stringify(flow)).toString('base64url'),
      FLOW_COOKIE_SECONDS,
    );

  function messagePage(
    res: Response,
    context: PageContext,
    status: number,
    page: { title: string; paragraphs?: string[]; link?: { href: string; label: string } },
    extra: Record<string, unknown> = {},
  ) {
    res
      .status(status)
      .type('html')
      .send(templates.message({ ...pageChrome(context), ...page, ...extra }));
  }

  /**
   * A page for a problem the flow cannot go on from, with a fresh start where there is one. A flow
   * this browser holds no cookie for reads as one that expired: the likeliest cause, and the same
   * answer whether or not the run exists.
   */
  function problemPage(res: Response, context: PageContext, code: ErrorCode, restart?: string) {
    const { t } = context;
    const gone = code === 'journey_expired' || code === 'journey_not_found';
    messagePage(res, context, errorSpec(code).status, {
      title: t(gone ? 'page.expired.title' : 'page.error.title'),
      paragraphs: [gone ? t('page.expired.body') : errorMessage(t, code)],
      ...(restart ? { link: { href: restart, label: t('page.error.restart') } } : {}),
    });
  }

  /**
   * Starts a run of `journey` for this browser and sends it to the run's first page. A journey that
   * needs a session the browser lacks goes through sign-in first, one that needs a stronger one
   * through step-up@1, and comes back here.
   */
  async function startFlow(
    req: Request,
    res: Response,
    start: {
      journey: string;
      body: Record<string, unknown>;
      next?: string;
      locale: PageLocale;
      client?: Flow['client'];
      /** The session just opened (its cookie is only on its way to the browser). */
      sessionToken?: string;
    },
  ) {
    const context = contextOf(req, start.locale);
    const here = `${PAGES_PATH}/${start.journey}?${new URLSearchParams({
      ...stringsOf(start.body),
      ...(start.next ? { next: start.next } : {}),
    })}`;
    let started: Awaited<ReturnType<StepService['start']>>;
    try {
      started = await service.start({
        journey: start.journey,
        query: {},
        body: start.body,
        channel: PAGES_CHANNEL,
        requester: deps.requesterOf(req),
        session: async () => {
          const token = start.sessionToken ?? cookies.read(req, SESSION_COOKIE);
          const session = token ? await deps.sessions.resolve(token) : undefined;
          if (!session) throw new HttpProblem('session_required');
          return session;
        },
      });
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      const locales = { ui_locales: start.locale };
      if (error.code === 'session_required')
        return res.redirect(
          303,
          `${PAGES_PATH}/login?${new URLSearchParams({ ...locales, next: here })}`,
        );
      const stepUp = error.extensions.step_up as { body?: Record<string, unknown> } | undefined;
      if (stepUp)
        return res.redirect(
          303,
          `${PAGES_PATH}/step-up?${new URLSearchParams({ ...stringsOf(stepUp.body ?? {}), ...locales, next: here })}`,
        );
      headers(res);
      return problemPage(res, context, error.code);
    }
    writeFlow(res, started.view.id, {
      token: started.view.token,
      ...(start.next ? { next: start.next } : {}),
      locale: start.locale,
      ...(start.client ? { client: start.client } : {}),
    });
    res.redirect(303, `${PAGES_PATH}/flow/${started.view.id}`);
  }

  /**
   * A run that completed: a session it opened goes into the browser's cookie; a journey it names
   * next (consent, profiling) runs next with that session; then the browser goes where the flow
   * was to go (`next`, the allow-listed `return_to`), else to a page that says it is done.
   */
  async function completed(req: Request, res: Response, id: string, flow: Flow, view: PublicView) {
    cookies.clear(res, `${FLOW_COOKIE}${id}`);
    const result = (view.result ?? {}) as {
      type?: string;
      session?: { token?: unknown; expiresAt?: string };
      continue_with?: Array<{ action?: string; journey?: string; start?: { body?: unknown } }>;
    };
    // A new session, or the same raised (step-up@1), its token rotated.
    const sessionToken =
      (result.type === 'session' || result.type === 'session_raised') &&
      typeof result.session?.token === 'string'
        ? result.session.token
        : undefined;
    if (sessionToken) {
      const expiresAt = Date.parse(result.session?.expiresAt ?? '');
      cookies.set(
        res,
        SESSION_COOKIE,
        sessionToken,
        Number.isNaN(expiresAt) ? 3600 : (expiresAt - Date.now()) / 1000,
      );
    }
    const locale = flow.locale ?? 'en';
    const then = result.continue_with?.find((action) => action.action === 'run_journey');
    if (then?.journey)
      return startFlow(req, res, {
        journey: then.journey,
        body: {
          ...((then.start?.body as Record<string, unknown>) ?? {}),
          // The language goes on where the next journey takes one.
          ...(startFieldsOf(service, then.journey).has('ui_locales') ? { ui_locales: locale } : {}),
        },
        ...(flow.next ? { next: flow.next } : {}),
        locale,
        ...(flow.client ? { client: flow.client } : {}),
        ...(sessionToken ? { sessionToken } : {}),
      });
    if (flow.next) return res.redirect(303, flow.next);
    if (view.return_to) return res.redirect(303, view.return_to);
    const context = contextOf(req, locale);
    headers(res);
    messagePage(res, context, 200, {
      title: context.t('page.done.title'),
      paragraphs: [context.t('page.done.body')],
    });
  }

  /** Renders the step a run waits at, with what was refused and what was typed, if anything. */
  function showStep(
    req: Request,
    res: Response,
    id: string,
    flow: Flow,
    view: PublicView,
    refused?: { status: number; errors: FieldError[]; sent: Record<string, unknown> },
  ) {
    const context = contextOf(req, flow.locale ?? 'en');
    headers(res, flow);
    res
      .status(refused?.status ?? 200)
      .type('html')
      .send(
        templates.step(
          stepPage(context, view, {
            action: `${PAGES_PATH}/flow/${id}`,
            csrf: csrf.issue(`flow:${id}`, flow.token),
            ...(refused ? { errors: refused.errors, sent: refused.sent } : {}),
            ...(flow.client?.name ? { client: flow.client.name } : {}),
            links: waysOn(context, view, flow),
          }),
        ),
      );
  }

  /**
   * Sign-in's first page offers what Auth0's and Keycloak's do: creating an account and recovering
   * one, each going on to where the sign-in was to go (`next`), in the same language.
   */
  function waysOn(context: PageContext, view: PublicView, flow: Flow) {
    const first =
      (view.journey === 'login' && view.step?.name === 'identify') ||
      (view.journey === 'registration' && view.step?.name === 'credentials');
    if (!first) return [];
    const query = new URLSearchParams({
      ui_locales: context.locale,
      ...(flow.next ? { next: flow.next } : {}),
    });
    const social = (deps.socialProviders ?? []).map((provider) => ({
      href: `${PAGES_PATH}/social-login?${new URLSearchParams({ provider: provider.id, ...Object.fromEntries(query) })}`,
      label: context.t('page.social_continue', { name: provider.name }),
    }));
    if (view.journey === 'registration') return social;
    return [
      ...social,
      { href: `${PAGES_PATH}/registration?${query}`, label: context.t('page.create_account') },
      { href: `${PAGES_PATH}/recovery?${query}`, label: context.t('page.forgot_password') },
    ];
  }

  /** Whatever a run's view asks of the browser: its step, its end, or a fresh start. */
  async function answerView(req: Request, res: Response, id: string, flow: Flow, view: PublicView) {
    if (view.status === 'completed') return completed(req, res, id, flow, view);
    const away = view.step?.data?.authorization_url;
    if (view.status === 'active' && view.step && REDIRECT_STEPS.has(view.step.name)) {
      // Built by the run from the provider's discovered metadata: an absolute URL, never input.
      if (typeof away === 'string' && /^https?:\/\//.test(away)) return res.redirect(303, away);
    }
    if (view.status === 'active' && view.step) return showStep(req, res, id, flow, view);
    const context = contextOf(req, flow.locale ?? 'en');
    headers(res, flow);
    if (view.status === 'active') {
      // Between steps (an activity is running): the page looks again in a moment.
      res.set('Refresh', '1');
      return messagePage(res, context, 200, { title: context.t(`journey.${view.journey}`) });
    }
    const code: ErrorCode =
      view.status === 'expired' ? 'journey_expired' : (view.error?.code ?? 'journey_closed');
    return problemPage(res, context, code, `${PAGES_PATH}/${view.journey}`);
  }

  router.get('/assets/:file', (req, res) => {
    const asset = assets.get(String(req.params.file));
    if (!asset) throw new HttpProblem('not_found');
    res.set({ 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff' });
    res.type(asset.type).send(asset.body);
  });

  router.get('/', async (req, res) => {
    const context = contextOf(req, await localeOf(req));
    const signedIn = await browserSession(req);
    headers(res);
    messagePage(
      res,
      context,
      200,
      signedIn
        ? { title: context.t('page.signed_in') }
        : {
            title: context.t('page.signed_out'),
            link: { href: `${PAGES_PATH}/login`, label: context.t('journey.login') },
          },
      signedIn ? { signOut: { csrf: csrf.issue('sign-out', signedIn.token) } } : {},
    );
  });

  router.post('/sign-out', async (req, res) => {
    const signedIn = await browserSession(req);
    const context = contextOf(req, await localeOf(req));
    headers(res);
    if (signedIn) {
      if (!csrf.verify('sign-out', signedIn.token, req.body?._csrf))
        return problemPage(res, context, 'form_expired', PAGES_PATH);
      await deps.sessions.revoke(signedIn.session.id);
      // The provider's own session in this browser ends with it (oidc-api.ts sets this).
      await signOutHook?.(req, res);
    }
    cookies.clear(res, SESSION_COOKIE);
    res.redirect(303, `${PAGES_PATH}/`);
  });

  router.get('/flow/:id', async (req, res) => {
    const id = String(req.params.id);
    const flow = readFlow(req, id);
    const context = contextOf(req, await localeOf(req, flow));
    if (!flow) {
      headers(res);
      return problemPage(res, context, 'journey_not_found');
    }
    const asked = firstString(req.query.ui_locales);
    const current = asked ? { ...flow, locale: await localeOf(req) } : flow;
    if (asked) writeFlow(res, id, current);
    const view = (await service.read(id, flow.token)) as PublicView;
    return answerView(req, res, id, current, view);
  });

  router.post('/flow/:id', async (req, res) => {
    const id = String(req.params.id);
    const flow = readFlow(req, id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const context = contextOf(req, flow?.locale ?? 'en');
    if (!flow) {
      headers(res);
      return problemPage(res, context, 'journey_not_found');
    }
    // ASVS 5.0 V3.5.1: a form is taken only with the token this flow's page gave it.
    if (!csrf.verify(`flow:${id}`, flow.token, body._csrf)) {
      headers(res);
      return problemPage(res, context, 'form_expired', `${PAGES_PATH}/flow/${id}`);
    }
    const current = (await service.read(id, flow.token)) as PublicView;
    // The run moved on (another tab, a back button): show where it is now.
    const step = current.step;
    if (current.status !== 'active' || !step || step.name !== body._step)
      return res.redirect(303, `${PAGES_PATH}/flow/${id}`);
    const forms = stepForms(step.schema, step.data);
    const form = forms[Number(body._form)];
    if (!form) return res.redirect(303, `${PAGES_PATH}/flow/${id}`);
    const sent = Object.fromEntries(
      Object.entries(body).filter(([name]) => !name.startsWith('_')),
    ) as Record<string, unknown>;
    let next: PublicView;
    try {
      next = await service.submit({
        id,
        token: flow.token,
        step: step.name,
        body: formInput(form, body),
        userAgent: req.get('user-agent'),
      });
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      const view = (error.extensions.view as PublicView | undefined) ?? current;
      if (error.code === 'journey_expired' || view.step?.name !== step.name)
        return answerView(req, res, id, flow, view);
      const errors = (error.extensions.errors as FieldError[] | undefined) ?? [
        { path: '', code: error.code, message: error.title },
      ];
      return showStep(req, res, id, flow, view, { status: error.status, errors, sent });
    }
    if (next.status === 'active' && next.step) return res.redirect(303, `${PAGES_PATH}/flow/${id}`);
    return answerView(req, res, id, flow, next);
  });

  /**
   * An upstream provider's answer (`/pages/social/{id}/callback`, its one redirect URI). Its state
   * names the run; the run is this browser's only if the browser holds the flow's cookie (an answer
   * carried to another browser reaches no run: no login CSRF), and it must wait for this very
   * provider (mix-up defence). The run redeems and checks the code itself.
   */
  router.get('/social/:provider/callback', async (req, res) => {
    const state = firstString(req.query.state) ?? '';
    const id = /^(jrn_[A-Za-z0-9_-]{20,40})\.[A-Za-z0-9_-]+$/.exec(state)?.[1];
    const flow = id ? readFlow(req, id) : undefined;
    const context = contextOf(req, flow?.locale ?? 'en');
    if (!id || !flow) {
      headers(res);
      return problemPage(res, context, 'journey_not_found', `${PAGES_PATH}/login`);
    }
    const current = (await service.read(id, flow.token)) as PublicView;
    if (
      current.status !== 'active' ||
      current.step?.name !== 'upstream' ||
      current.step.data?.provider !== String(req.params.provider)
    )
      return answerView(req, res, id, flow, current);
    const answer = Object.fromEntries(
      ['code', 'state', 'iss', 'error', 'error_description']
        .map((name) => [name, firstString(req.query[name])] as const)
        .filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    let next: PublicView;
    try {
      next = await service.submit({
        id,
        token: flow.token,
        step: 'upstream',
        body: answer.error
          ? { error: answer.error, state }
          : { code: answer.code, state, ...(answer.iss ? { iss: answer.iss } : {}) },
        userAgent: req.get('user-agent'),
      });
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      headers(res);
      return problemPage(res, context, 'social_sign_in_failed', `${PAGES_PATH}/login`);
    }
    if (next.status === 'active' && next.step) return res.redirect(303, `${PAGES_PATH}/flow/${id}`);
    return answerView(req, res, id, flow, next);
  });

  /** A start asked by a link or a form: its fields, its `next`, its language. */
  async function startAsked(req: Request, journey: string, source: Record<string, unknown>) {
    const asked = Object.fromEntries(
      Object.entries(source)
        .map(([name, value]) => [name, firstString(value)] as const)
        .filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const { next: nextParam, _csrf: _, ...fields } = asked;
    const locale = await localeOf(req, undefined, fields.ui_locales);
    const next = safeNext(nextParam);
    return {
      journey,
      body: startBody(service, journey, { ...fields, ui_locales: fields.ui_locales ?? locale }),
      ...(next ? { next } : {}),
      locale,
      fields: { ...fields, ...(next ? { next } : {}) },
    };
  }

  /**
   * A link starts a journey that waits for the customer (sign-in, registration, recovery). One that
   * acts for the signed-in customer (erasure, a factor's enrolment or removal, a step-up that may
   * send a code) starts only from a form of its own page, with a CSRF token bound to the session:
   * a link from another site, which the browser follows with the session's cookie, starts nothing.
   */
  router.get('/:journey', async (req, res) => {
    const journey = String(req.params.journey);
    const start = await startAsked(req, journey, req.query);
    const signedIn = service.actsForSession(journey) ? await browserSession(req) : undefined;
    if (!signedIn) return startFlow(req, res, start);
    const context = contextOf(req, start.locale);
    headers(res);
    res.type('html').send(
      templates.start({
        ...pageChrome(context),
        title: context.t(`journey.${journey.split('@')[0]}`),
        action: `${PAGES_PATH}/${journey}`,
        csrf: csrf.issue(`start:${journey}`, signedIn.token),
        fields: Object.entries(start.fields).map(([name, value]) => ({ name, value })),
      }),
    );
  });

  router.post('/:journey', async (req, res) => {
    const journey = String(req.params.journey);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const start = await startAsked(req, journey, body);
    const signedIn = await browserSession(req);
    if (!signedIn || !csrf.verify(`start:${journey}`, signedIn.token, body._csrf)) {
      headers(res);
      return problemPage(res, contextOf(req, start.locale), 'form_expired', `${PAGES_PATH}/`);
    }
    return startFlow(req, res, start);
  });

  router.all(['/', '/flow/:id'], methodNotAllowed('GET, POST'));
  router.all('/sign-out', methodNotAllowed('POST'));
  router.all('/assets/:file', methodNotAllowed('GET'));
  router.all('/:journey', methodNotAllowed('GET, POST'));

  /** A problem on a page is a page: in the browser's language, with the code's words. */
  const pageProblems: ErrorRequestHandler = (err, req, res, next: NextFunction) => {
    if (!(err instanceof HttpProblem) || err.status >= 500) return next(err);
    const context = contextOf(req, pageLocale({ acceptLanguage: req.get('accept-language') }));
    headers(res);
    res.set(err.headers);
    messagePage(res, context, err.status, {
      title: context.t('page.error.title'),
      paragraphs: [errorMessage(context.t, err.code)],
    });
  };
  router.use(pageProblems);
  return {
    router,
    startFlow,
    browserSession,
    contextOf,
    localeOf,
    headers,
    csrf,
    templates,
    /** What else a sign-out ends in this browser (the provider's session): one hook, the latest. */
    onSignOut(hook: (req: Request, res: Response) => Promise<void>) {
      signOutHook = hook;
    },
  };
}

export type HostedPages = ReturnType<typeof createHostedPages>;

const readAsset = (file: string) => readFileSync(new URL(`./assets/${file}`, import.meta.url));

/** Start fields as query parameters (a journey's start is sent on through sign-in). */
function stringsOf(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(body)
      .filter(([, value]) => value !== undefined && value !== null)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(' ') : String(value)]),
  );
}

/** The properties of a journey's start schema (`registration` names the latest version). */
const startPropertiesOf = (service: StepService, journey: string): Record<string, unknown> =>
  ((service.startSchema(journey) ?? {}) as { properties?: Record<string, unknown> }).properties ??
  {};

/** The fields a journey's start takes. */
const startFieldsOf = (service: StepService, journey: string) =>
  new Set(Object.keys(startPropertiesOf(service, journey)));

/**
 * A start body from query parameters: only the fields the journey's start takes, each typed as its
 * start schema says (`aal=2` is a number). Whatever else the query holds is not the journey's.
 */
function startBody(
  service: StepService,
  journey: string,
  query: Record<string, string>,
): Record<string, unknown> {
  const properties = startPropertiesOf(service, journey);
  return Object.fromEntries(
    Object.entries(query)
      .filter(([field]) => field in properties)
      .map(([field, value]) => {
        const type = (properties[field] as { type?: string }).type;
        return [
          field,
          (type === 'integer' || type === 'number') && /^[0-9]+$/.test(value)
            ? Number(value)
            : value,
        ];
      }),
  );
}

import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { PrismaClient } from '../../db/prisma.js';
import { purposesToAsk } from '../../oidc/scope-claims.js';
import type { ActiveSession } from '../../sessions/session-store.js';
import { HttpProblem } from '../problem.js';
import type { HostedPages } from './hosted-pages.js';
import { pageChrome } from './page-views.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface InteractionPagesDeps {
  provider: Provider;
  prisma: PrismaClient;
  pages: HostedPages;
  finishLogin: (
    req: Request,
    res: Response,
    interaction: Interaction,
    session: ActiveSession,
  ) => Promise<string>;
  grantConsent: (
    req: Request,
    res: Response,
    interaction: Interaction,
    userId: string,
  ) => Promise<string>;
  abort: (req: Request, res: Response) => Promise<string>;
}

/** The origins of a client's redirect URIs: where a flow that finishes its sign-in may post to. */
const originsOf = (uris: readonly string[] | undefined) => [
  ...new Set((uris ?? []).filter((uri) => URL.canParse(uri)).map((uri) => new URL(uri).origin)),
];

/**
 * The provider's interactions as hosted pages. The browser lands here (`/oidc/interaction/{uid}`,
 * where the provider's interaction cookie is sent) and is sent through the journeys the prompt
 * needs, each coming back here once done, until the prompt is finished:
 *
 * - a login prompt without a signed-in browser runs login@1 (the client's `login_hint` and
 *   `ui_locales`); with one that misses what the client asked (`acr_values`, `max_age`,
 *   `prompt=login`), step-up@1; with a consent decision due, consent@1; else it is finished with
 *   the browser's session and the browser goes on to the client;
 * - a consent prompt (a third-party client) runs consent@1 for purposes not granted yet, then
 *   shows the scopes the client asks, to allow or deny (a form with a CSRF token bound to the
 *   session and the interaction).
 */
export function interactionPages(deps: InteractionPagesDeps) {
  const { provider, pages } = deps;

  async function context(req: Request, interaction: Interaction) {
    const params = interaction.params;
    const client = await provider.Client.find(String(params.client_id));
    const uiLocales = typeof params.ui_locales === 'string' ? params.ui_locales : undefined;
    const locale = await pages.localeOf(req, undefined, uiLocales);
    return {
      here: `/oidc/interaction/${interaction.uid}`,
      locale,
      client: {
        ...(client?.clientName ? { name: client.clientName } : {}),
        origins: originsOf(client?.redirectUris),
      },
      allowedScopes: new Set(String(client?.scope ?? '').split(' ')),
    };
  }

  async function show(req: Request, res: Response, interaction: Interaction) {
    const { here, locale, client, allowedScopes } = await context(req, interaction);
    const params = interaction.params;
    const signedIn = await pages.browserSession(req);
    const run = (journey: string, body: Record<string, unknown>) =>
      pages.startFlow(req, res, { journey, body, next: here, locale, client });

    if (interaction.prompt.name === 'login') {
      if (!signedIn)
        return run('login', {
          client_id: String(params.client_id),
          ui_locales: locale,
          ...(typeof params.login_hint === 'string' ? { login_hint: params.login_hint } : {}),
        });
      try {
        return res.redirect(303, await deps.finishLogin(req, res, interaction, signedIn.session));
      } catch (error) {
        if (!(error instanceof HttpProblem)) throw error;
        if (error.code === 'consent_due') return run('consent', { ui_locales: locale });
        const stepUp = error.extensions.step_up as { body?: Record<string, unknown> } | undefined;
        if (stepUp) return run('step-up', { ...(stepUp.body ?? {}), ui_locales: locale });
        throw error;
      }
    }

    // A consent prompt: only for the customer the provider signed in.
    const accountId = interaction.session?.accountId;
    if (!signedIn || signedIn.session.userId !== accountId)
      throw new HttpProblem('interaction_not_found');
    const scopes = String(params.scope ?? '')
      .split(' ')
      .filter((scope) => scope && allowedScopes.has(scope));
    const purposes = await purposesToAsk(deps.prisma, {
      userId: accountId,
      clientId: String(params.client_id),
      scopes,
      now: new Date(),
    });
    if (purposes.length) return run('consent', { ui_locales: locale });
    const page = pages.contextOf(req, locale);
    pages.headers(res, { token: '', client });
    res.type('html').send(
      pages.templates.grant({
        ...pageChrome(page),
        title: page.t('consent.title', { client: client.name ?? params.client_id }),
        client: client.name ?? params.client_id,
        scopes: scopes.map((scope) =>
          page.t.has(`scope.${scope}`) ? page.t(`scope.${scope}`) : scope,
        ),
        action: `${here}/grant`,
        csrf: pages.csrf.issue(`grant:${interaction.uid}`, signedIn.token),
      }),
    );
  }

  /** The answer to the scopes page: allow grants them, deny answers the client `access_denied`. */
  async function grant(req: Request, res: Response, interaction: Interaction) {
    const signedIn = await pages.browserSession(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!signedIn || !pages.csrf.verify(`grant:${interaction.uid}`, signedIn.token, body._csrf))
      throw new HttpProblem('form_expired');
    const to =
      body.decision === 'allow'
        ? await deps.grantConsent(req, res, interaction, signedIn.session.userId)
        : await deps.abort(req, res);
    res.redirect(303, to);
  }

  return { show, grant };
}

import express, { type Request, type Response, Router } from 'express';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { consentDue } from '../consent/consent-request.js';
import type { PrismaClient } from '../db/prisma.js';
import { continueAction } from '../journey-kit/results.js';
import { ACR, acrOf } from '../oidc/provider.js';
import { purposesToAsk } from '../oidc/scope-claims.js';
import { recordClientSignIn } from '../oidc/sign-ins.js';
import type { ActiveSession } from '../sessions/session-store.js';
import type { BearerSessions } from './bearer-session.js';
import type { HostedPages } from './hosted-pages/hosted-pages.js';
import { interactionPages } from './hosted-pages/interaction-pages.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { HttpProblem } from './problem.js';
import { requireSession } from './step-up-problem.js';

/** Where the provider is mounted in the API. */
export const OIDC_PATH = '/oidc';

export interface OidcApiDeps {
  provider: Provider;
  prisma: PrismaClient;
  bearerSession: BearerSessions;
  /** Draws the interactions for browsers that ask for HTML (the hosted pages). */
  pages?: HostedPages;
  now?: () => Date;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What a login interaction asks of the Parcours session that finishes it. */
function requirementOf(
  params: Record<string, unknown>,
  prompt: { reasons: string[] },
  iat: number,
  now: Date,
) {
  const acrValues = String(params.acr_values ?? '').split(' ');
  // `prompt=login`: a sign-in made after the client asked, whatever the session's age.
  const fresh = prompt.reasons.includes('login_prompt')
    ? Math.max(0, Math.ceil(now.getTime() / 1000) - iat)
    : undefined;
  const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);
  const ages = [fresh, maxAge].filter((age): age is number => age !== undefined);
  return {
    ...(acrValues.includes(ACR.aal2) ? { aal: 2 as const } : {}),
    ...(ages.length ? { maxAgeSeconds: Math.min(...ages) } : {}),
  };
}

/**
 * The provider's interactions, finished by Parcours sessions (`/oidc/interaction/{uid}`), then the
 * provider itself. The interaction is bound to the browser by the provider's own cookie; the
 * session by its bearer token, which a cross-site form cannot send (no login CSRF).
 *
 * - `GET` describes the interaction: which prompt, why, for which client, and which journey to run
 *   (login@1 with the client's `login_hint` and `ui_locales`, or step-up@1).
 * - `POST …/login` finishes a login prompt with the session's account, `acr`, `amr` and
 *   `auth_time`, once the session meets what the client asked (`max_age`, `prompt=login`, aal 2
 *   for `acr_values`): otherwise 403 with the step-up to run, as the step API answers; 409
 *   `consent_due` names consent@1 when a decision is due first. Each POST
 *   answers `{ redirect_to }`: where the browser goes next (a call with a bearer token is a page's
 *   script or server, so the browser is sent on by it, not by a redirect of this call).
 * - `POST …/consent` grants a third-party client the scopes it asked that it is registered for.
 * - `POST …/abort` answers the client `access_denied`.
 */
export function createOidcApi(deps: OidcApiDeps): Router {
  const { provider, prisma } = deps;
  const now = deps.now ?? (() => new Date());
  const router = Router();
  const noStore = (_req: Request, res: Response, next: () => void) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  const details = async (req: Request, res: Response) => {
    try {
      return await provider.interactionDetails(req, res);
    } catch {
      // No interaction cookie, another browser's, or expired: nothing to continue here.
      throw new HttpProblem('interaction_not_found');
    }
  };

  // A sign-out on the hosted pages ends the provider's session in that browser too: the next
  // authorization request asks for a sign-in, whatever other session of the account lives.
  deps.pages?.onSignOut(async (req, res) => {
    const session = await provider.Session.get(provider.createContext(req, res));
    if (session.accountId) await session.destroy();
  });
  const html = deps.pages
    ? interactionPages({ provider, prisma, pages: deps.pages, finishLogin, grantConsent, abort })
    : undefined;

  router.get('/interaction/:uid', noStore, async (req, res) => {
    const interaction = await details(req, res);
    // A browser is shown the hosted pages; a page's script or an app's server, this JSON.
    if (html && req.accepts(['json', 'html']) === 'html') return html.show(req, res, interaction);
    const { params, prompt } = interaction;
    const clientId = String(params.client_id);
    const client = await provider.Client.find(clientId);
    const locales = params.ui_locales ? { ui_locales: String(params.ui_locales).split(' ') } : {};
    const accountId = interaction.session?.accountId;
    res.json({
      uid: interaction.uid,
      prompt: { name: prompt.name, reasons: prompt.reasons },
      client: { client_id: client?.clientId, name: client?.clientName },
      journey: await journeyFor(),
    });

    /** The journey the customer runs before the prompt can be finished, if any. */
    async function journeyFor() {
      if (prompt.name === 'login')
        return prompt.reasons.includes('acr_values') && accountId
          ? { journey: 'step-up', start: { aal: 2, ...locales } }
          : {
              journey: 'login',
              start: {
                client_id: clientId,
                ...(params.login_hint ? { login_hint: params.login_hint } : {}),
                ...locales,
              },
            };
      // A partner's scopes that reach data under a purpose the customer has not granted: consent@1.
      const purposes = accountId
        ? await purposesToAsk(prisma, {
            userId: accountId,
            clientId,
            scopes: String(params.scope ?? '').split(' '),
            now: now(),
          })
        : [];
      return purposes.length ? { journey: 'consent', start: { ...locales }, purposes } : undefined;
    }
  });

  function finish(req: Request, res: Response, result: InteractionResults, merge: boolean) {
    return provider.interactionResult(req, res, result, { mergeWithLastSubmission: merge });
  }

  /**
   * Finishes a login prompt with `session`, once it meets what the client asked: else 403 with the
   * step-up to run, or 409 `consent_due`. Answers where the browser goes next.
   */
  async function finishLogin(
    req: Request,
    res: Response,
    interaction: Interaction,
    session: ActiveSession,
  ): Promise<string> {
    if (interaction.prompt.name !== 'login') throw new HttpProblem('interaction_not_found');
    const at = now();
    requireSession(
      session,
      requirementOf(interaction.params, interaction.prompt, interaction.iat, at),
      at,
    );
    // A decision due on consent (a material policy change, a required purpose) is made before the
    // client gets a code, as login@1's continue_with asks it first.
    if (await consentDue(prisma, { userId: session.userId, now: at }))
      throw new HttpProblem('consent_due', {
        continue_with: [continueAction({ journey: 'consent', start: {} })],
      });
    const clientId = String(interaction.params.client_id);
    await recordClientSignIn(prisma, session, clientId, at);
    return finish(
      req,
      res,
      {
        login: {
          accountId: session.userId,
          acr: acrOf(session.aal),
          amr: session.amr,
          ts: Math.floor(Date.parse(session.authTime) / 1000),
          remember: true,
        },
      },
      false,
    );
  }

  /** Grants a third-party client, for the customer the provider signed in, the scopes it may ask. */
  async function grantConsent(
    req: Request,
    res: Response,
    interaction: Interaction,
    userId: string,
  ): Promise<string> {
    const accountId = interaction.session?.accountId;
    // Only the customer the provider signed in answers for their own grant.
    if (interaction.prompt.name !== 'consent' || accountId !== userId)
      throw new HttpProblem('interaction_not_found');
    const client = await provider.Client.find(String(interaction.params.client_id));
    const allowed = new Set(String(client?.scope ?? '').split(' '));
    const asked = String(interaction.params.scope ?? '').split(' ');
    const existing = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : undefined;
    const grant =
      existing ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    grant.addOIDCScope(asked.filter((scope) => allowed.has(scope)).join(' '));
    grant.addOIDCClaims(['acr', 'amr', 'auth_time']);
    const grantId = await grant.save();
    return finish(req, res, { consent: { grantId } }, true);
  }

  /** Answers the client `access_denied`. */
  function abort(req: Request, res: Response): Promise<string> {
    return finish(
      req,
      res,
      { error: 'access_denied', error_description: 'The customer did not sign in' },
      false,
    );
  }

  router.post('/interaction/:uid/login', noStore, async (req, res) => {
    const interaction = await details(req, res);
    const session = await deps.bearerSession(req);
    res.json({ redirect_to: await finishLogin(req, res, interaction, session) });
  });

  router.post('/interaction/:uid/consent', noStore, async (req, res) => {
    const interaction = await details(req, res);
    const session = await deps.bearerSession(req);
    res.json({ redirect_to: await grantConsent(req, res, interaction, session.userId) });
  });

  router.post('/interaction/:uid/abort', noStore, async (req, res) => {
    await details(req, res);
    res.json({ redirect_to: await abort(req, res) });
  });

  if (html)
    router.post(
      '/interaction/:uid/grant',
      noStore,
      express.urlencoded({ extended: false, limit: 4096 }),
      async (req, res) => html.grant(req, res, await details(req, res)),
    );
  router.all('/interaction/:uid', methodNotAllowed('GET'));
  router.all(
    [
      '/interaction/:uid/login',
      '/interaction/:uid/consent',
      '/interaction/:uid/abort',
      '/interaction/:uid/grant',
    ],
    methodNotAllowed('POST'),
  );
  router.use(provider.callback());
  return router;
}

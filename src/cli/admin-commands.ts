// `npx parcours apps|attributes <command>`: the operator's registry of apps and attribute catalogue,
// through the admin API of a running engine (embedded or deployed), with the operator key.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Io, repoRoot, UsageError } from './journeys/load.js';

export const adminUsage = `Usage: parcours apps|attributes|purposes|policies|oidc <command> [options]

Apps (OAuth clients: a client id and a secret shown once):
  apps add <client-id> --name <name> [--kind first_party|third_party] [--attributes a,b]
           [--purposes p,q] [--data-limit <bytes>] [--profiling <file.json>]
           OpenID Connect: [--client-type confidential|public] [--redirect-uris u,v]
           [--post-logout-uris u,v] [--scopes openid,email,…] [--grant-types authorization_code,…]
           [--backchannel-logout-uri <uri>]
  apps list
  apps update <client-id> [--name …] [--kind …] [--attributes …] [--purposes …] [--data-limit …]
           [--profiling <file.json>] [any OpenID Connect option above]
  apps rotate-secret <client-id>   a new secret; the old one stops working at once
  apps remove <client-id>

Attributes (custom profile attributes; the OpenID Connect ones are built in):
  attributes add <name> --schema <file.json | JSON> --read <parties> [--write <parties>]
           [--owner <client-id>] [--sensitive] [--grants-access] [--description <text>]
           parties: customer, owning_app, other_apps, operator (comma-separated)
  attributes list
  attributes remove <name>

Purposes (what customers consent to) and policies (immutable versions per locale):
  purposes add <id> --name <name> [--attributes a,b] [--apps x,y] [--description <text>]
           [--policy <name>] [--required] [--validity-days <n>]
  purposes list
  purposes remove <id>
  policies publish <policy> --version <v> --locale <tag> --file <content.md> [--material]
           [--effective <ISO 8601 instant, default now>]
  policies list [<policy>]
  policies show <policy> --version <v> --locale <tag>

OpenID Connect provider (issuer <API>/oidc):
  oidc keys                        the signing keys: which signs, which are published beside it
  oidc rotate-keys                 new keys, published now, signing after two days

Every command takes --api <url> (default $PARCOURS_API or http://127.0.0.1:3000) and reads the
operator key from $PARCOURS_ADMIN_KEY, else from ./.parcours/operator-key (made by npm start).`;

/** The operator's command groups. */
export const ADMIN_GROUPS = ['apps', 'attributes', 'purposes', 'policies', 'oidc'] as const;
export type AdminGroup = (typeof ADMIN_GROUPS)[number];

export interface AdminOptions {
  api?: string | undefined;
  name?: string | undefined;
  kind?: string | undefined;
  attributes?: string | undefined;
  purposes?: string | undefined;
  'data-limit'?: string | undefined;
  profiling?: string | undefined;
  schema?: string | undefined;
  read?: string | undefined;
  write?: string | undefined;
  owner?: string | undefined;
  sensitive?: boolean | undefined;
  'grants-access'?: boolean | undefined;
  apps?: string | undefined;
  description?: string | undefined;
  version?: string | undefined;
  locale?: string | undefined;
  file?: string | undefined;
  material?: boolean | undefined;
  effective?: string | undefined;
  policy?: string | undefined;
  required?: boolean | undefined;
  'validity-days'?: string | undefined;
  'client-type'?: string | undefined;
  'redirect-uris'?: string | undefined;
  'post-logout-uris'?: string | undefined;
  scopes?: string | undefined;
  'grant-types'?: string | undefined;
  'backchannel-logout-uri'?: string | undefined;
}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);

async function operatorKey(): Promise<string> {
  const given = process.env.PARCOURS_ADMIN_KEY;
  if (given) return given;
  const file = resolve(
    process.env.PARCOURS_DATA_DIR ?? resolve(repoRoot, '.parcours'),
    'operator-key',
  );
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    throw new UsageError(
      `no operator key: set PARCOURS_ADMIN_KEY, or run npm start to make ${file}`,
    );
  }
}

/** A JSON file's content, or the JSON given inline. */
async function jsonArgument(value: string, option: string): Promise<unknown> {
  const text = value.trim().startsWith('{') ? value : await readFile(value, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--${option}: not JSON`);
  }
}

const definedOnly = (object: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

async function appBody(options: AdminOptions) {
  return definedOnly({
    name: options.name,
    kind: options.kind,
    attributes: list(options.attributes),
    purposes: list(options.purposes),
    data_limit_bytes:
      options['data-limit'] === undefined ? undefined : Number(options['data-limit']),
    profiling: options.profiling ? await jsonArgument(options.profiling, 'profiling') : undefined,
    client_type: options['client-type'],
    redirect_uris: list(options['redirect-uris']),
    post_logout_redirect_uris: list(options['post-logout-uris']),
    scopes: list(options.scopes),
    grant_types: list(options['grant-types']),
    backchannel_logout_uri: options['backchannel-logout-uri'],
  });
}

/** Runs `parcours apps|attributes …`: 0 done, 1 refused by the engine, 2 a usage mistake. */
export async function runAdminCommand(
  group: AdminGroup,
  command: string | undefined,
  subject: string | undefined,
  options: AdminOptions,
  io: Io,
): Promise<number> {
  const api = (options.api ?? process.env.PARCOURS_API ?? 'http://127.0.0.1:3000').replace(
    /\/$/,
    '',
  );
  const key = await operatorKey();
  async function call(method: string, path: string, body?: unknown) {
    let response: Response;
    try {
      response = await fetch(`${api}/v1/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new Error(`cannot reach ${api}: ${(error as Error).message} (is the engine running?)`);
    }
    const text = await response.text();
    const answer = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      io.err(`${response.status} ${answer?.title ?? ''}`.trim());
      for (const error of answer?.errors ?? []) io.err(`  ${error.path || '/'}: ${error.message}`);
      return undefined;
    }
    return answer ?? {};
  }
  const need = (what: string) => {
    if (!subject) throw new UsageError(`name the ${what}`);
    return encodeURIComponent(subject);
  };
  const show = (answer: unknown) => {
    if (answer === undefined) return 1;
    io.out(JSON.stringify(answer, null, 2));
    return 0;
  };
  if (group === 'oidc')
    switch (command) {
      case 'keys':
        return show(await call('GET', '/oidc/signing-keys'));
      case 'rotate-keys':
        return show(await call('POST', '/oidc/signing-keys/rotate'));
      default:
        throw new UsageError(command ? `unknown command 'oidc ${command}'` : 'name a command');
    }
  if (group === 'apps')
    switch (command) {
      case 'add':
        need('client id');
        return show(await call('POST', '/apps', { id: subject, ...(await appBody(options)) }));
      case 'list':
        return show(await call('GET', '/apps'));
      case 'update':
        return show(await call('PATCH', `/apps/${need('client id')}`, await appBody(options)));
      case 'rotate-secret':
        return show(await call('POST', `/apps/${need('client id')}/secret`));
      case 'remove':
        return (await call('DELETE', `/apps/${need('client id')}`)) === undefined ? 1 : 0;
      default:
        throw new UsageError(command ? `unknown command 'apps ${command}'` : 'name a command');
    }
  if (group === 'purposes')
    switch (command) {
      case 'add':
        return show(
          await call(
            'PUT',
            `/purposes/${need('purpose')}`,
            definedOnly({
              name: options.name,
              description: options.description,
              attributes: list(options.attributes),
              apps: list(options.apps),
              policy: options.policy,
              required: options.required,
              validity_days:
                options['validity-days'] === undefined
                  ? undefined
                  : Number(options['validity-days']),
            }),
          ),
        );
      case 'list':
        return show(await call('GET', '/purposes'));
      case 'remove':
        return (await call('DELETE', `/purposes/${need('purpose')}`)) === undefined ? 1 : 0;
      default:
        throw new UsageError(command ? `unknown command 'purposes ${command}'` : 'name a command');
    }
  if (group === 'policies')
    switch (command) {
      case 'publish': {
        need('policy');
        if (!options.version || !options.locale || !options.file)
          throw new UsageError('--version, --locale and --file are required');
        return show(
          await call('POST', '/policies', {
            policy: subject,
            version: options.version,
            locale: options.locale,
            content: await readFile(options.file, 'utf8'),
            material: options.material === true,
            effective_at: options.effective ?? new Date().toISOString(),
          }),
        );
      }
      case 'list':
        return show(
          await call('GET', `/policies${subject ? `?policy=${encodeURIComponent(subject)}` : ''}`),
        );
      case 'show':
        if (!options.version || !options.locale)
          throw new UsageError('--version and --locale are required');
        return show(
          await call(
            'GET',
            `/policies/${need('policy')}/${encodeURIComponent(options.version)}/${encodeURIComponent(options.locale)}`,
          ),
        );
      default:
        throw new UsageError(command ? `unknown command 'policies ${command}'` : 'name a command');
    }
  switch (command) {
    case 'add': {
      need('attribute');
      if (!options.schema) throw new UsageError('--schema is required');
      return show(
        await call(
          'POST',
          '/attributes',
          definedOnly({
            name: subject,
            schema: await jsonArgument(options.schema, 'schema'),
            readers: list(options.read),
            writers: list(options.write),
            owner_app: options.owner,
            sensitivity: options.sensitive ? 'sensitive' : undefined,
            grants_access: options['grants-access'] ? true : undefined,
            description: options.description,
          }),
        ),
      );
    }
    case 'list':
      return show(await call('GET', '/attributes'));
    case 'remove':
      return (await call('DELETE', `/attributes/${need('attribute')}`)) === undefined ? 1 : 0;
    default:
      throw new UsageError(command ? `unknown command 'attributes ${command}'` : 'name a command');
  }
}

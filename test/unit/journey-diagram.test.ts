import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { and, fromPromise, not, or, setup, stateIn } from 'xstate';
import { z } from 'zod';
import { journeyDefinitions } from '../../journeys/index.js';
import { registrationV2 as registration } from '../../journeys/registration-v2.js';
import { activityNames } from '../../src/activities/catalog.js';
import {
  journeyDiagram,
  journeyDiagramPage,
  journeyDiagramPath,
  journeyOutline,
} from '../../src/authoring/diagram.js';
import { defineJourney, step } from '../../src/journey-kit/define-journey.js';
import { createRegistry } from '../../src/journey-registry/registry.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The diagram's lines, without indentation. */
const linesOf = (diagram: string) => diagram.split('\n').map((line) => line.trim());

describe('journey diagrams (docs/journeys, generated from the machines)', () => {
  const registry = createRegistry(journeyDefinitions, activityNames);

  it('keeps each checked-in page equal to the one its machine generates (npm run journeys:diagram)', async () => {
    for (const definition of registry.list()) {
      const path = journeyDiagramPath(definition);
      const checkedIn = await readFile(join(repoRoot, path), 'utf8').catch(() => '(missing)');
      expect(checkedIn, `${path} is stale: run npm run journeys:diagram`).toBe(
        journeyDiagramPage(definition),
      );
    }
  });

  it('keeps no page for a journey that is not registered', async () => {
    const pages = (await readdir(join(repoRoot, 'docs/journeys'))).filter((name) =>
      name.endsWith('.md'),
    );
    expect(pages.map((name) => `docs/journeys/${name}`).sort()).toEqual(
      registry.list().map(journeyDiagramPath).sort(),
    );
  });

  it('marks every registration@2 step with its step name and draws its fragment, effects, timers and ends', () => {
    const lines = linesOf(journeyDiagram(registration));
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain('credentials : step credentials');
    for (const state of [
      'verifyEmail_live_code_awaiting',
      'verifyEmail_live_code_locked',
      'verifyEmail_expired',
    ]) {
      expect(lines).toContain(`${state} : step verify-email`);
    }
    expect(lines).toContain('terms : step terms');
    expect(lines).toContain(
      'class credentials,verifyEmail_live_code_awaiting,verifyEmail_live_code_locked,verifyEmail_expired,terms step',
    );
    expect(lines).toContain('state "verifyEmail · fragment email-code" as verifyEmail {');
    expect(lines).toContain('[*] --> credentials');
    expect(lines).toContain('credentials --> verifyEmail : credentials');
    expect(lines).toContain('verifyEmail_issuing : invoke issueOtp');
    expect(lines).toContain('verifyEmail_issuing --> verifyEmail_live : issueOtp done');
    expect(lines).toContain('verifyEmail_issuing --> verifyEmail_failed : issueOtp error');
    expect(lines).toContain('verifyEmail_live --> verifyEmail_expired : after emailCode.codeTtl');
    expect(lines).toContain('verifyEmail_resend --> verifyEmail_issuing : always');
    // Named guards read as the machine does.
    expect(lines).toContain(
      'verifyEmail_live_code_awaiting : verify-email [emailCode.wantsResend and emailCode.resendOpen] / emailCode.requestResend',
    );
    expect(lines).toContain('verifyEmail --> verifyEmail_resend : emailCode.resend');
    expect(lines).toContain('verifyEmail --> failed : done [fragmentFailed]');
    expect(lines).toContain('verifyEmail --> terms : done');
    // The two regions of the parallel `live` state, separated as Mermaid draws concurrency.
    expect(lines).toContain('--');
    expect(lines).toContain('completed --> [*]');
    expect(lines).toContain('failed --> [*]');
  });

  it('outlines a journey: its steps with their states, the activities it invokes and its fragments', () => {
    expect(journeyOutline(registration)).toEqual({
      key: 'registration@2',
      title: 'Sign up with email and password',
      steps: [
        { name: 'credentials', states: ['credentials'] },
        {
          name: 'verify-email',
          states: [
            'verifyEmail.live.code.awaiting',
            'verifyEmail.live.code.locked',
            'verifyEmail.expired',
          ],
        },
        { name: 'terms', states: ['terms'] },
      ],
      activities: ['issueOtp', 'deliverMessage', 'verifyOtp', 'createAccount', 'createSession'],
      fragments: [{ name: 'email-code', at: 'verifyEmail' }],
    });
  });

  it('says guards, delays, nested finals and internal reactions the way a reader would', () => {
    const machine = setup({
      actors: { ping: fromPromise(async () => 'pong') },
      guards: { isA: () => true, isB: () => true, isC: () => true },
      delays: { patience: 1_000 },
      actions: { remember: () => {} },
    }).createMachine({
      id: 'sample',
      initial: 'default',
      states: {
        default: {
          on: {
            go: [
              { guard: and(['isA', or(['isB', not('isC')])]), target: 'waiting' },
              { guard: stateIn('#sample.default'), target: 'waiting' },
              { guard: ({ event }) => event.type === 'go', actions: 'remember' },
            ],
          },
          after: { patience: 'waiting', 500: 'waiting' },
        },
        waiting: {
          initial: 'pinging',
          states: {
            pinging: { invoke: { src: 'ping', onDone: 'pinged', onError: 'pinged' } },
            pinged: { type: 'final' },
          },
          onDone: 'over',
        },
        over: { type: 'final' },
      },
    });
    const sample = defineJourney({
      id: 'sample',
      version: 1,
      title: 'Sample',
      machine,
      settings: z.object({}),
      steps: {},
    });
    const lines = linesOf(journeyDiagram(sample));
    expect(lines).toContain('s_default --> waiting : go [isA and (isB or (not isC))]');
    expect(lines).toContain('s_default --> waiting : go [in sample.default]');
    expect(lines).toContain('s_default : go [inline guard] / remember');
    expect(lines).toContain('s_default --> waiting : after patience');
    expect(lines).toContain('s_default --> waiting : after 500ms');
    expect(lines).toContain('waiting_pinging --> waiting_pinged : ping error');
    expect(lines).toContain('waiting_pinged --> [*]');
    expect(lines).toContain('waiting --> over : done');
    expect(lines.some((line) => line.startsWith('class '))).toBe(false);
  });

  it('refuses two states that would share a diagram id', () => {
    const machine = setup({}).createMachine({
      id: 'clash',
      initial: 'a_b',
      states: { a_b: { on: { next: 'a' } }, a: { initial: 'b', states: { b: { type: 'final' } } } },
    });
    const clash = defineJourney({
      id: 'clash',
      version: 1,
      title: 'Clash',
      machine,
      settings: z.object({}),
      steps: { a_b: step({ name: 'a', input: z.strictObject({}) }) },
    });
    expect(() => journeyDiagram(clash)).toThrow(
      "clash@1: states 'a_b' and 'a.b' have the same diagram id",
    );
  });
});

describe('npm run journeys:check', () => {
  const check = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/journey-check.ts', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
    });

  it('lists each registered journey with its steps and activities', () => {
    const run = check();
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('registration@1  Sign up with email and password');
    expect(run.stdout).toContain('registration@2  Sign up with email and password');
    expect(run.stdout).toContain('steps:      credentials (credentials); verify-email (');
    expect(run.stdout).toContain('issueOtp (local), deliverMessage (queued)');
  });

  it('exits 1 naming every problem of a journey that cannot run', () => {
    const run = check('test/fixtures/forbidden-journey/broken.journeys.ts');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('postcard@1  Sends a postcard (broken)');
    expect(run.stderr).toContain(
      "postcard@1 state 'adress': step 'address' names a state that does not exist",
    );
    expect(run.stderr).toContain(
      "postcard@1 state 'sending': invokes 'sendPostcard', which is not a known activity",
    );
    expect(run.stderr).toContain(
      "postcard@1 state 'sending': invokes 'sendPostcard' without onError",
    );
    expect(run.stderr).toContain('postcard@2: its module holds postcard@1');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageRenderer } from '../../../src/channels/render.js';
import { createSmtpSender } from '../../../src/channels/smtp-transport.js';
import { type SmtpSink, startSmtpSink } from '../../support/smtp-sink.js';

// Runs against a real SMTP server on a loopback port (test/support/smtp-sink.ts).
describe('createSmtpSender', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  it('delivers a rendered registration code that arrives with the code in its text', async () => {
    const sender = createSmtpSender(sink.url, 'Parcours <no-reply@parcours.test>');
    const { content: email } = createMessageRenderer().render('email', 'registration-code', {
      code: '318204',
      expiresInMinutes: 10,
      productName: 'Parcours Café',
    });
    const { messageId } = await sender.send({ to: 'ada@example.com', ...email });
    const received = await sink.waitFor((m) => m.to === 'ada@example.com');
    expect(received.subject).toBe('Your Parcours Café verification code');
    expect(received.text).toContain('318204');
    expect(received.text).toBe(email.text);
    expect(received.raw).toContain(messageId);
    expect(received.raw).toMatch(/^From: Parcours <no-reply@parcours\.test>$/m);
    sender.close();
  });

  it('sends nothing to a recipient nodemailer would read as another address, or several', async () => {
    const sender = createSmtpSender(sink.url, 'no-reply@parcours.test');
    for (const to of ['victim@example.test,evil@example.test', '<evil@example.test>victim.test']) {
      await expect(sender.send({ to, subject: 's', text: 't', html: '<p>t</p>' })).rejects.toThrow(
        /not exactly one plain address/,
      );
    }
    expect(sink.messages.filter((message) => /evil/.test(message.to))).toEqual([]);
    sender.close();
  });

  it('fails fast when no SMTP server listens', async () => {
    const closed = await startSmtpSink();
    await closed.close();
    const sender = createSmtpSender(closed.url, 'no-reply@parcours.test');
    await expect(
      sender.send({ to: 'ada@example.com', subject: 's', text: 't', html: '<p>t</p>' }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

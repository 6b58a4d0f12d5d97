import { writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { it } from 'vitest';
import { recordRegistration } from '../support/record-registration.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { startStack } from '../support/stack.js';

it('dumps', async () => {
  const smtp = await startSmtpSink();
  const stack = await startStack({ smtpUrl: smtp.url });
  const { run, history } = await recordRegistration({ url: stack.url, smtp, temporal: stack.temporal, email: 'dump@example.com', password: 'a long enough passphrase' });
  writeFileSync('/tmp/explore/history.json', JSON.stringify(proto.temporal.api.history.v1.History.fromObject(history).toJSON(), null, 1));
  writeFileSync('/tmp/explore/run.json', JSON.stringify(run));
  console.log(Object.getPrototypeOf(history).constructor.name, Object.getPrototypeOf(history.events![0]).constructor.name);
  await stack.stop(); await smtp.close();
});

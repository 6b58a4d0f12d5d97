// A thread of the password policy pool (password-policy-pool.ts): the strength estimate blocks for
// tens of milliseconds, which the API's event loop must not.
import { createPasswordPolicy, type PasswordVerdict } from './password-policy.js';

const policy = createPasswordPolicy();

export default function checkPassword(task: {
  password: string;
  userInputs: string[];
  minLength?: number;
}): PasswordVerdict {
  return policy.check(task.password, task.userInputs, task.minLength);
}

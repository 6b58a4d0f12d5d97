// The link's token is in the fragment (/continue#<token>), which the browser never sends: it is
// read here, dropped from the address bar and history, and posted only when the customer asks.

const token = window.location.hash.slice(1);
if (token) window.history.replaceState(null, '', window.location.pathname);

document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('go');
  const outcome = document.getElementById('outcome');
  if (!token) {
    outcome.textContent = 'This page opens from the link in your message.';
    return;
  }
  button.disabled = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    outcome.textContent = 'One moment…';
    try {
      const response = await fetch('/v1/links/continue', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ token }),
        credentials: 'omit',
      });
      const answer = await response.json();
      outcome.textContent = answer.detail ?? answer.title ?? 'Something went wrong: try again.';
      outcome.dataset.outcome = response.ok ? 'continued' : answer.code;
    } catch {
      outcome.textContent = 'The server could not be reached: try again.';
      button.disabled = false;
    }
  });
});

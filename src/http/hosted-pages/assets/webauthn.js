// Passkeys on the hosted pages: the one script they run. A form marked data-webauthn asks the
// browser's authenticator with the step's options (a JSON block the server wrote, never code), puts
// the credential in the form's `credential` field as JSON, and sends the form as any other.

(() => {
  const block = document.getElementById('webauthn-options');
  const status = document.querySelector('.webauthn-status');
  if (!block) return;
  const options = JSON.parse(block.textContent);
  const say = (which) => {
    if (!status) return;
    status.textContent = status.dataset[which];
    status.hidden = false;
  };
  const supported =
    window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function' &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';
  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    form.addEventListener('submit', async (event) => {
      const field = form.querySelector('input[name="credential"]');
      if (!field || field.value) return;
      event.preventDefault();
      if (!supported) return say('unsupported');
      try {
        // Registration options name the user; sign-in options do not.
        const credential = options.user
          ? await navigator.credentials.create({
              publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
            })
          : await navigator.credentials.get({
              publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
            });
        field.value = JSON.stringify(credential.toJSON());
        form.submit();
      } catch {
        say('failed');
      }
    });
  }
})();

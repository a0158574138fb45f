// The daemon token: asked for once when the API answers 401, traded for a session cookie
// (which EventSource and WebSocket carry), and kept in sessionStorage for Bearer headers.
import { h } from './dom.js';

const STORAGE_KEY = 'pipeline-supervisor.token';

/** Create the token keeper; `onSignedIn` runs after a token was accepted (reconnect sockets, reload views). */
export function createAuth({ onSignedIn = () => {} } = {}) {
  let prompting = null;

  const token = () => {
    try {
      return sessionStorage.getItem(STORAGE_KEY);
    } catch {
      return null;
    }
  };
  const remember = (value) => {
    try {
      if (value) sessionStorage.setItem(STORAGE_KEY, value);
      else sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      /* storage disabled: the cookie still works */
    }
  };

  // POST /api/session: true when the daemon took the token (and set its cookie).
  const openSession = async (value) => {
    const response = await fetch('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: value }),
      credentials: 'same-origin',
    });
    if (response.ok) return true;
    // A daemon without session routes: the Bearer header alone has to do.
    if (response.status === 404 || response.status === 405) return true;
    return false;
  };

  const showPrompt = (message) =>
    new Promise((resolve) => {
      const input = h('input', {
        id: 'token-input',
        name: 'token',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
        placeholder: 'daemon token',
        'aria-label': 'Daemon token',
      });
      const error = h('p', { class: 'auth-error', role: 'alert' }, message ?? '');
      const submit = h('button', { type: 'submit', class: 'primary', id: 'token-submit' }, 'Sign in');
      const form = h(
        'form',
        { class: 'auth-form', method: 'dialog' },
        h('h2', null, 'Token required'),
        h('p', { class: 'muted' }, 'This supervisor is protected by a token (daemon.token in supervisor.config.json).'),
        input,
        error,
        h('div', { class: 'auth-actions' }, submit),
      );
      const dialog = h('dialog', { class: 'auth-dialog', id: 'auth-dialog' }, form);
      // The page is useless without the token: Escape does not close the prompt.
      dialog.addEventListener('cancel', (event) => event.preventDefault());
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (!value) return;
        submit.disabled = true;
        error.textContent = '';
        try {
          if (await openSession(value)) {
            remember(value);
            dialog.close();
            dialog.remove();
            resolve(value);
            return;
          }
          error.textContent = 'That token was refused.';
        } catch (err) {
          error.textContent = `Could not reach the daemon: ${err.message}`;
        } finally {
          submit.disabled = false;
        }
        input.select();
      });
      document.body.appendChild(dialog);
      dialog.showModal();
      input.focus();
    });

  return {
    token,
    /** Called on a 401: wait until the user gave a token the daemon accepts (one prompt for all callers). */
    require() {
      if (!prompting) {
        const stale = token();
        remember(null);
        prompting = showPrompt(stale ? 'The saved token was refused; enter the current one.' : null).then((value) => {
          prompting = null;
          onSignedIn();
          return value;
        });
      }
      return prompting;
    },
    /** At start: make sure the session cookie exists when a token is needed, so WebSocket can connect. */
    async restore() {
      let state;
      try {
        const response = await fetch('/api/session', { credentials: 'same-origin' });
        if (!response.ok) return;
        state = await response.json();
      } catch {
        return;
      }
      if (!state.auth_required || state.authenticated) return;
      const saved = token();
      if (saved && (await openSession(saved).catch(() => false))) return;
      await this.require();
    },
  };
}

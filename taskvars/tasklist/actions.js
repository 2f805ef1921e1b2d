// An action a person takes on a page: its button, busy while it runs, and its error
// shown right beside it.
import { useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, html } from "./ui.js";

/** ``run()`` as an action: ``{busy, error, start}``; ``start`` clears the last error. */
export function useAction(run) {
  const [state, setState] = useState({ busy: false, error: null });
  const start = async (...args) => {
    setState({ busy: true, error: null });
    try {
      await run(...args);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return { ...state, start };
}

/**
 * A button that runs ``run`` and shows its error after it. Busy, it is aria-disabled, not
 * disabled: a disabled button loses the keyboard's focus.
 */
export function ActionButton({ label, run, secondary }) {
  const action = useAction(run);
  return html`<span class="action">
    <button
      type="button"
      class=${secondary ? "secondary" : undefined}
      aria-disabled=${action.busy ? "true" : undefined}
      onClick=${() => action.busy || action.start()}
    >
      ${label}
    </button>
    <${ErrorMessage} error=${action.error} />
  </span>`;
}

// Data a view loads from the API, with its loading and error states.
import { useEffect, useState } from "./vendor/preact-hooks.mjs";

/**
 * ``load(signal)``'s result once it resolves, again whenever ``deps`` change or
 * ``reload()`` is called; the previous data stays shown while the next loads (no flicker).
 */
export function useLoaded(load, deps) {
  const [state, setState] = useState({ loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    load(controller.signal).then(
      (data) => controller.signal.aborted || setState({ data }),
      (error) => controller.signal.aborted || setState({ error }),
    );
    return () => controller.abort();
  }, [...deps, round]);
  return { ...state, reload: () => setRound((count) => count + 1) };
}

// Loading what a view shows: once per change of its inputs, or again every few seconds
// while the page is in sight. The last answer stays on screen while the next one is on its
// way, so that a refresh does not flicker.
import { useCallback, useEffect, useRef, useState } from "./vendor/preact-hooks.mjs";

/** How often a view in sight asks again for what may change elsewhere (``everyMs``). */
export const REFRESH_MS = 5000;

/**
 * ``load(signal)``'s answer as ``{data, error, loading, reload}``, loaded again whenever
 * ``inputs`` change, on ``reload()``, and every ``everyMs`` milliseconds when given (not
 * while the document is hidden: a hidden tab asks nothing; it catches up as soon as it is
 * shown again). ``loading``: a load is on its way (the last answer still shown).
 */
export function useLoaded(load, inputs, everyMs) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const latest = useRef(load);
  latest.current = load;
  const running = useRef(null);

  const reload = useCallback(async () => {
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    setState((before) => (before.loading ? before : { ...before, loading: true }));
    try {
      const data = await latest.current(controller.signal);
      if (!controller.signal.aborted) setState({ data, error: null, loading: false });
    } catch (error) {
      if (!controller.signal.aborted) {
        setState((before) => ({ data: before.data, error, loading: false }));
      }
    } finally {
      if (running.current === controller) running.current = null;
    }
  }, []);

  useEffect(() => {
    // Other inputs: the old answer is not theirs.
    setState({ data: undefined, error: null, loading: true });
    reload();
    return () => running.current?.abort();
  }, inputs);

  useEffect(() => {
    if (!everyMs) return undefined;
    // A load still on its way is left to finish: aborted by every tick, a server slower
    // than the interval would never have its answer shown.
    const tick = () => {
      if (document.visibilityState === "visible" && !running.current) reload();
    };
    const timer = window.setInterval(tick, everyMs);
    document.addEventListener("visibilitychange", tick);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", tick);
    };
  }, [everyMs, reload]);

  return { ...state, reload };
}

// Loading what a view shows: once per change of its inputs, or again every few seconds
// while the page is in sight. The last answer stays on screen while the next one is on its
// way, so that a refresh does not flicker.
import { useCallback, useEffect, useRef, useState } from "./vendor/preact-hooks.mjs";

/**
 * ``load(signal)``'s answer as ``{data, error, reload}``, loaded again whenever ``inputs``
 * change, and every ``everyMs`` milliseconds when given (not while the document is
 * hidden: a hidden tab asks nothing; it catches up as soon as it is shown again).
 */
export function useLoaded(load, inputs, everyMs) {
  const [state, setState] = useState({ data: undefined, error: null });
  const latest = useRef(load);
  latest.current = load;
  const running = useRef(null);

  const reload = useCallback(async () => {
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    try {
      const data = await latest.current(controller.signal);
      if (!controller.signal.aborted) setState({ data, error: null });
    } catch (error) {
      if (!controller.signal.aborted) setState((before) => ({ data: before.data, error }));
    }
  }, []);

  useEffect(() => {
    setState({ data: undefined, error: null }); // other inputs: the old answer is not theirs
    reload();
    return () => running.current?.abort();
  }, inputs);

  useEffect(() => {
    if (!everyMs) return undefined;
    const tick = () => {
      if (document.visibilityState === "visible") reload();
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

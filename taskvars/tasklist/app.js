// The task list's shell: who works here, the navigation, and which view the address
// (#/tasks, #/tasks/<id>, #/processes, #/instances/<id>) shows.
import { useEffect, useState } from "./vendor/preact-hooks.mjs";
import { get } from "./api.js";
import { ProcessesView } from "./processes.js";
import { TasksView } from "./tasks.js";
import { ErrorMessage, arrivedAt, html, render, routeKey } from "./ui.js";

const ACTING_AS = "taskvars.tasklist.user";

/** A part of the address decoded; a malformed escape (`%E0`) is kept as typed. */
function decodedOrAsIs(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Who this browser last worked as, if what it kept is a user; else nobody (ask again). */
function savedUser() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(ACTING_AS) || "null");
    const valid =
      typeof saved?.id === "string" &&
      Array.isArray(saved.groups) &&
      saved.groups.every((group) => typeof group === "string");
    return valid ? { id: saved.id, groups: saved.groups, signedIn: false } : null;
  } catch {
    return null;
  }
}

/** The route in the address: its view and the rest of its path. */
function parseRoute() {
  const [view = "tasks", ...rest] = window.location.hash.replace(/^#\/?/, "").split("/");
  return { view, rest: rest.map(decodedOrAsIs) };
}

function useRoute() {
  const [route, setRoute] = useState(parseRoute);
  useEffect(() => {
    const changed = () => {
      const next = parseRoute();
      arrivedAt(routeKey(next.view, ...next.rest));
      setRoute(next);
    };
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

/**
 * Who works here. Under --auth-file, the user the browser signed in as (GET
 * /identity/current) and that user's groups (GET /identity/groups); without it, anyone
 * may act as anyone, as in Camunda without authentication: the name and groups given
 * here, kept in this browser.
 */
function useUser() {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    (async () => {
      try {
        const current = await get("/identity/current");
        if (current?.authenticated) {
          const info = await get("/identity/groups", { userId: current.authenticatedUser });
          const groups = info.groups.map((group) => group.id);
          setState({ user: { id: current.authenticatedUser, groups, signedIn: true } });
          return;
        }
        setState({ user: savedUser(), askName: true });
      } catch (error) {
        setState({ error });
      }
    })();
  }, []);
  const actAs = (user) => {
    window.localStorage.setItem(ACTING_AS, JSON.stringify(user));
    setState({ user, askName: true });
  };
  return [state, actAs];
}

function ActAsForm({ user, onSubmit }) {
  const submit = (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const id = String(data.get("user")).trim();
    const groups = String(data.get("groups"))
      .split(",")
      .map((group) => group.trim())
      .filter(Boolean);
    if (id) onSubmit({ id, groups, signedIn: false });
  };
  return html`<form class="act-as" onSubmit=${submit} aria-label="Work as">
    <label>User <input name="user" required autocomplete="username" value=${user?.id || ""} /></label>
    <label>Groups <input name="groups" placeholder="sales, accounting" value=${(user?.groups || []).join(", ")} /></label>
    <button type="submit">Work as</button>
  </form>`;
}

function Navigation({ route, user, actingAs }) {
  const link = (view, label) =>
    html`<a href="#/${view}" aria-current=${route.view === view ? "page" : undefined}>${label}</a>`;
  return html`<header class="top">
    <nav aria-label="Main">
      <span class="brand">taskvars</span>
      ${link("tasks", "Tasks")} ${link("processes", "Processes")}
      <a href="../engine-rest/docs/">API</a>
    </nav>
    <p class="who">
      ${user ? html`${user.signedIn ? "Signed in as" : "Working as"} <strong>${user.id}</strong>` : null}
      ${actingAs}
    </p>
  </header>`;
}

function App() {
  const route = useRoute();
  const [state, actAs] = useUser();
  if (state.loading) return html`<p class="loading" role="status">Loading…</p>`;
  if (state.error) return html`<main><${ErrorMessage} error=${state.error} /></main>`;
  const { user } = state;
  const actingAs = state.askName
    ? html`<details class="act-as-box" open=${!user}>
        <summary>${user ? "Change" : "Who are you?"}</summary>
        <${ActAsForm} user=${user} onSubmit=${actAs} />
      </details>`
    : null;
  let view;
  if (!user) view = html`<p>Say who you are to see your tasks.</p>`;
  else if (route.view === "processes" || route.view === "instances")
    view = html`<${ProcessesView} route=${route} user=${user} />`;
  else view = html`<${TasksView} route=${route} user=${user} />`;
  return html`<${Navigation} route=${route} user=${user} actingAs=${actingAs} />
    <main id="main">${view}</main>`;
}

render(html`<${App} />`, document.getElementById("app"));

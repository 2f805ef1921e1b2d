// The task list: whose tasks (tabs with their counts), in which order, of which process
// and name; asked again every few seconds, so that new work shows up without a reload.
import { useEffect, useState } from "./vendor/preact-hooks.mjs";
import { get } from "./api.js";
import { REFRESH_MS, useLoaded } from "./loading.js";
import { ErrorMessage, focusHeadingIfArrived, formatDate, html, routeKey } from "./ui.js";


/** Each tab: its label and the criteria of GET /task for the user. */
const TABS = [
  { id: "mine", label: "My tasks", criteria: (user) => ({ assignee: user.id }) },
  // Camunda's candidateGroups takes a comma-separated list; no groups, no tasks.
  {
    id: "groups",
    label: "My groups",
    criteria: (user) => (user.groups.length ? { candidateGroups: user.groups.join(",") } : null),
  },
  { id: "unassigned", label: "Unassigned", criteria: () => ({ unassigned: true }) },
  { id: "all", label: "All", criteria: () => ({}) },
];

const SORTS = [
  { value: "created", label: "Created" },
  { value: "dueDate", label: "Due date" },
  { value: "priority", label: "Priority" },
];

/** The criteria the filters add to every tab's. */
function filterCriteria({ processKey, name }) {
  return {
    processDefinitionKey: processKey || undefined,
    nameLike: name.trim() ? `%${name.trim()}%` : undefined,
  };
}

async function loadTasks(user, tab, filters, order, signal) {
  const filtered = filterCriteria(filters);
  const counts = TABS.map(async (each) => {
    const criteria = each.criteria(user);
    if (!criteria) return [each.id, 0];
    const { count } = await get("/task/count", { ...criteria, ...filtered }, signal);
    return [each.id, count];
  });
  const criteria = TABS.find((each) => each.id === tab).criteria(user);
  const tasks = criteria
    ? get("/task", { ...criteria, ...filtered, sortBy: order.by, sortOrder: order.direction }, signal)
    : [];
  // Awaited together: a refusal (or an abort) of one leaves none of the others unhandled.
  const [listed, counted] = await Promise.all([tasks, Promise.all(counts)]);
  return { tasks: listed, counts: Object.fromEntries(counted) };
}

function Tabs({ tab, counts, onChoose }) {
  return html`<div class="task-tabs" role="group" aria-label="Whose tasks">
    ${TABS.map(
      (each) => html`<button
        type="button"
        class="task-tab"
        aria-pressed=${tab === each.id}
        onClick=${() => onChoose(each.id)}
      >
        ${each.label} <span class="count">${counts?.[each.id] ?? "…"}</span>
      </button>`,
    )}
  </div>`;
}

function Filters({ filters, order, onFilters, onOrder }) {
  const definitions = useLoaded(
    (signal) => get("/process-definition", { latestVersion: true, sortBy: "name", sortOrder: "asc" }, signal),
    [],
  );
  const filter = (part) => (event) => onFilters({ ...filters, [part]: event.target.value });
  const sort = (part) => (event) => onOrder({ ...order, [part]: event.target.value });
  return html`<form class="task-filters" onSubmit=${(event) => event.preventDefault()} aria-label="Filter and sort">
    <label>
      Process
      <select value=${filters.processKey} onChange=${filter("processKey")}>
        <option value="">Any process</option>
        ${(definitions.data || []).map(
          (definition) => html`<option value=${definition.key}>${definition.name || definition.key}</option>`,
        )}
      </select>
    </label>
    <label>
      Name
      <input type="search" value=${filters.name} placeholder="Contains…" onInput=${filter("name")} />
    </label>
    <label>
      Sort by
      <select value=${order.by} onChange=${sort("by")}>
        ${SORTS.map((sort) => html`<option value=${sort.value}>${sort.label}</option>`)}
      </select>
    </label>
    <label>
      Order
      <select value=${order.direction} onChange=${sort("direction")}>
        <option value="desc">Descending</option>
        <option value="asc">Ascending</option>
      </select>
    </label>
    <${ErrorMessage} error=${definitions.error} />
  </form>`;
}

function TaskItem({ task, selected }) {
  return html`<li>
    <a class="task-item" href=${`#/tasks/${encodeURIComponent(task.id)}`} aria-current=${selected ? "page" : undefined}>
      <span class="task-name">${task.name || task.taskDefinitionKey || task.id}</span>
      <span class="task-meta">
        <span>Created ${formatDate(task.created)}</span>
        ${task.due ? html`<span>Due ${formatDate(task.due)}</span>` : null}
        <span>Priority ${task.priority}</span>
        <span>${task.assignee ? `Assignee ${task.assignee}` : "Unassigned"}</span>
      </span>
    </a>
  </li>`;
}

/** ``refreshed``: a number that changes when this page changed a task (asked again at once). */
export function TaskList({ user, selectedId, refreshed }) {
  const [tab, setTab] = useState(user.groups.length ? "groups" : "mine");
  const [filters, setFilters] = useState({ processKey: "", name: "" });
  const [order, setOrder] = useState({ by: "created", direction: "desc" });
  const loaded = useLoaded(
    (signal) => loadTasks(user, tab, filters, order, signal),
    [user.id, user.groups.join(","), tab, filters.processKey, filters.name, order.by, order.direction],
    REFRESH_MS,
  );
  useEffect(() => {
    if (refreshed) loaded.reload();
  }, [refreshed]);
  const tasks = loaded.data?.tasks;
  return html`<section class="task-list" aria-labelledby="task-list-heading">
    <h1 id="task-list-heading" tabindex="-1" data-route-heading=${routeKey("tasks")} ref=${focusHeadingIfArrived}>Tasks</h1>
    <${Tabs} tab=${tab} counts=${loaded.data?.counts} onChoose=${setTab} />
    <${Filters} filters=${filters} order=${order} onFilters=${setFilters} onOrder=${setOrder} />
    <${ErrorMessage} error=${loaded.error} />
    ${tasks === undefined
      ? html`<p class="loading" role="status">Loading tasks…</p>`
      : tasks.length === 0
        ? html`<p class="empty">No tasks here.</p>`
        : html`<ul class="tasks" aria-label=${TABS.find((each) => each.id === tab).label}>
            ${tasks.map((task) => html`<${TaskItem} key=${task.id} task=${task} selected=${task.id === selectedId} />`)}
          </ul>`}
  </section>`;
}

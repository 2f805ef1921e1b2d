// One task: what it is, what this user can do with it, its form, variables, files,
// comments and attachments; asked again every few seconds, so that a change made elsewhere
// (claimed by someone else, completed) shows without a reload.
import { get } from "./api.js";
import { Attachments } from "./attachments.js";
import { Comments } from "./comments.js";
import { REFRESH_MS, useLoaded } from "./loading.js";
import { TaskActions } from "./task_actions.js";
import { TaskForm } from "./task_form.js";
import { TaskVariables } from "./task_variables.js";
import { ErrorMessage, focusHeadingIfArrived, formatDate, html, routeKey } from "./ui.js";

async function loadTask(id, signal) {
  const task = await get(`/task/${encodeURIComponent(id)}`, undefined, signal);
  const definition = task.processDefinitionId
    ? await get(`/process-definition/${encodeURIComponent(task.processDefinitionId)}`, undefined, signal)
    : null;
  return { task, definition };
}

function TaskFields({ task, definition }) {
  const field = (label, value) => html`<div><dt>${label}</dt><dd>${value || "—"}</dd></div>`;
  return html`<dl class="task-fields">
    ${field("Assignee", task.assignee)} ${field("Owner", task.owner)}
    ${field("Created", formatDate(task.created))} ${field("Due", formatDate(task.due))}
    ${field("Follow-up", formatDate(task.followUp))} ${field("Priority", String(task.priority))}
    ${field("Delegation", task.delegationState)}
    ${field("Process", definition ? `${definition.name || definition.key} (version ${definition.version})` : null)}
    ${task.description ? html`<div class="wide"><dt>Description</dt><dd>${task.description}</dd></div>` : null}
  </dl>`;
}

/** ``onChanged`` after any change of the task; ``onCompleted`` once it is done. */
export function TaskDetail({ id, user, onChanged, onCompleted }) {
  const loaded = useLoaded((signal) => loadTask(id, signal), [id], REFRESH_MS);
  if (!loaded.data) {
    return html`<section class="task-detail">
      ${loaded.error
        ? html`<${ErrorMessage} error=${loaded.error} />`
        : html`<p class="loading" role="status">Loading the task…</p>`}
    </section>`;
  }
  const { task, definition } = loaded.data;
  const changed = () => {
    loaded.reload();
    onChanged();
  };
  return html`<section class="task-detail" aria-labelledby="task-heading">
    <h2 id="task-heading" tabindex="-1" data-route-heading=${routeKey("tasks", id)} ref=${focusHeadingIfArrived}>${task.name || task.taskDefinitionKey || task.id}</h2>
    <${ErrorMessage} error=${loaded.error} />
    <${TaskFields} task=${task} definition=${definition} />
    <${TaskActions} task=${task} user=${user} onChanged=${changed} />
    <${TaskForm} task=${task} onCompleted=${onCompleted} onResolved=${changed} />
    <${TaskVariables} task=${task} />
    <${Comments} task=${task} />
    <${Attachments} task=${task} />
  </section>`;
}

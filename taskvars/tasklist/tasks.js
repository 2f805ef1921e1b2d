// Tasks: the list (mine, my groups', unassigned, all) and one task with its variables,
// files, comments, attachments and form.
import { html } from "./ui.js";

export function TasksView({ route, user }) {
  return html`<section aria-labelledby="tasks-heading">
    <h1 id="tasks-heading">Tasks</h1>
    <p>Tasks of ${user.id} (${route.rest.join("/") || "list"}): to be built.</p>
  </section>`;
}

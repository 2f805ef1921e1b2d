// Tasks: the list (mine, my groups', unassigned, all) beside the task chosen in it
// (#/tasks/<id>); on a phone's width, one above the other.
import { useState } from "./vendor/preact-hooks.mjs";
import { TaskDetail } from "./task_detail.js";
import { TaskList } from "./task_list.js";
import { html } from "./ui.js";

export function TasksView({ route, user }) {
  const [refreshed, setRefreshed] = useState(0);
  const [selectedId] = route.rest;
  const refresh = () => setRefreshed((count) => count + 1);
  const completed = () => {
    refresh();
    window.location.hash = "#/tasks";
  };
  return html`<div class=${selectedId ? "tasks-layout with-task" : "tasks-layout"}>
    <${TaskList} user=${user} selectedId=${selectedId} refreshed=${refreshed} />
    ${selectedId
      ? html`<${TaskDetail}
          key=${selectedId}
          id=${selectedId}
          user=${user}
          onChanged=${refresh}
          onCompleted=${completed}
        />`
      : null}
  </div>`;
}

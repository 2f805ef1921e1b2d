// One process instance (#/instances/<id>): its facts, its diagram with the activities
// it waits at and those it passed, and its variables.
import { get } from "./api.js";
import { Diagram } from "./diagram.js";
import { VariableTable } from "./variable_table.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, focusHeadingIfArrived, formatDate, html, routeKey } from "./ui.js";

/** Every activity the instance's tree holds now (a transition instance waits before one). */
function activeActivities(tree) {
  const found = [];
  const walk = (node) => {
    for (const child of node.childActivityInstances || []) {
      found.push({ id: child.activityId, name: child.activityName || child.activityId });
      walk(child);
    }
    for (const transition of node.childTransitionInstances || []) {
      found.push({ id: transition.activityId, name: transition.activityName || transition.activityId });
    }
  };
  walk(tree);
  return found;
}

async function loadVariables(id, running, signal) {
  const path = encodeURIComponent(id);
  if (running) {
    const variables = await get(`/process-instance/${path}/variables`, { deserializeValues: false }, signal);
    return Object.entries(variables).map(([name, variable]) => ({
      ...variable,
      name,
      dataPath: `/process-instance/${path}/variables/${encodeURIComponent(name)}/data`,
    }));
  }
  const query = { processInstanceId: id, deserializeValues: false, sortBy: "variableName", sortOrder: "asc" };
  const variables = await get("/history/variable-instance", query, signal);
  return variables.map((variable) => ({
    ...variable,
    dataPath: `/history/variable-instance/${encodeURIComponent(variable.id)}/data`,
  }));
}

/** Where the instance is: its history, else (none kept) the running instance alone. */
async function findInstance(id, signal) {
  const path = encodeURIComponent(id);
  try {
    const history = await get(`/history/process-instance/${path}`, null, signal);
    const { businessKey, processDefinitionId } = history;
    return { id, history, running: !history.endTime, businessKey, definitionId: processDefinitionId };
  } catch (error) {
    if (error.status !== 404) throw error;
    // No history (--no-history, or POST /process-instance/create): running, or unknown.
    const current = await get(`/process-instance/${path}`, null, signal);
    return { id, history: null, running: true, businessKey: current.businessKey, definitionId: current.definitionId };
  }
}

async function loadInstance(id, signal) {
  const instance = await findInstance(id, signal);
  const definitionPath = `/process-definition/${encodeURIComponent(instance.definitionId)}`;
  const running = (path, query) => (instance.running ? get(path, query, signal) : null);
  const [definition, model, variables, tree, tasks, trail] = await Promise.all([
    get(definitionPath, null, signal),
    get(`${definitionPath}/xml`, null, signal),
    loadVariables(id, instance.running, signal),
    running(`/process-instance/${encodeURIComponent(id)}/activity-instances`),
    running("/task", { processInstanceId: id, sortBy: "created", sortOrder: "asc" }),
    get("/history/activity-instance", { processInstanceId: id, sortBy: "startTime", sortOrder: "asc" }, signal),
  ]);
  const passed = trail
    .filter((activity) => activity.endTime)
    .map((activity) => ({ id: activity.activityId, name: activity.activityName || activity.activityId }));
  return {
    instance,
    definition,
    xml: model.bpmn20Xml,
    variables,
    active: tree ? activeActivities(tree) : [],
    tasks: tasks || [],
    passed,
  };
}

/** Camunda's state names as people read them: EXTERNALLY_TERMINATED -> Externally terminated. */
const stateName = (state) => state.charAt(0) + state.slice(1).toLowerCase().replaceAll("_", " ");

const names = (activities) => [...new Set(activities.map((activity) => activity.name))].join(", ");

function diagramCaption({ instance, active, passed }) {
  const now = instance.running ? `Waiting at: ${names(active) || "nothing"}.` : "Finished.";
  return passed.length ? `${now} Passed: ${names(passed)}.` : now;
}

function InstanceFacts({ data }) {
  const { instance, definition } = data;
  const { history } = instance;
  const facts = [
    ["Business key", instance.businessKey || "—"],
    ["Process", `${definition.name || definition.key} (version ${definition.version})`],
    ["State", instance.running ? "Running" : stateName(history.state)],
    ["Started", formatDate(history?.startTime) || "—"],
    ["Ended", formatDate(history?.endTime) || "—"],
    ["Instance id", instance.id],
  ];
  return html`<dl class="facts">
    ${facts.map(([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

/** The instance's open user tasks, each a link to its view in the task list. */
function OpenTasks({ tasks }) {
  if (!tasks.length) return null;
  return html`<h2>Open tasks</h2>
    <ul>
      ${tasks.map(
        (task) => html`<li key=${task.id}>
          <a href=${`#/tasks/${encodeURIComponent(task.id)}`}>${task.name || task.taskDefinitionKey}</a>
          <span class="muted"> ${task.assignee ? `assigned to ${task.assignee}` : "unassigned"}</span>
        </li>`,
      )}
    </ul>`;
}

/** #/instances/<id> */
export function InstanceView({ id }) {
  const loaded = useLoaded((signal) => loadInstance(id, signal), [id]);
  const back = html`<p><a href="#/processes">← Processes</a></p>`;
  if (loaded.error) return html`${back}<${ErrorMessage} error=${loaded.error} />`;
  if (!loaded.data) return html`${back}<p class="loading" role="status">Loading…</p>`;
  const { data } = loaded;
  return html`<article class="instance" aria-labelledby="instance-heading">
    ${back}
    <div class="heading-row">
      <h1 id="instance-heading" tabindex="-1" data-route-heading=${routeKey("instances", id)} ref=${focusHeadingIfArrived}>${data.definition.name || data.definition.key}: ${data.instance.businessKey || data.instance.id}</h1>
      <button type="button" class="secondary" onClick=${loaded.reload} aria-busy=${loaded.loading ? "true" : undefined}>Refresh</button>
    </div>
    <${InstanceFacts} data=${data} />
    <${OpenTasks} tasks=${data.tasks} />
    <h2>Diagram</h2>
    <${Diagram} xml=${data.xml} active=${data.active.map((activity) => activity.id)}
      passed=${data.passed.map((activity) => activity.id)} caption=${diagramCaption(data)} />
    <h2>Variables</h2>
    <${VariableTable} variables=${data.variables} />
  </article>`;
}

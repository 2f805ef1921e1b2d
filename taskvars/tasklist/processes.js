// Processes: deployed definitions (start one, deploy a .bpmn file), running and finished
// instances (#/processes), starting one (#/processes/start/<definition id>) and one
// instance with its variables, files and diagram (#/instances/<id>).
import { get } from "./api.js";
import { DeployForm } from "./deploy.js";
import { InstanceView } from "./instance.js";
import { InstanceLists } from "./instances.js";
import { useLoaded } from "./loading.js";
import { StartView } from "./start_form.js";
import { ErrorMessage, focusHeadingIfArrived, html, routeKey } from "./ui.js";

function DefinitionList({ definitions }) {
  if (!definitions.length) return html`<p class="muted">No process is deployed yet.</p>`;
  return html`<div class="table-scroll">
    <table aria-labelledby="definitions-heading">
      <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Version</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        ${definitions.map((definition) => {
          const name = definition.name || definition.key;
          return html`<tr key=${definition.id}>
            <td>${name}</td>
            <td><code>${definition.key}</code></td>
            <td>${definition.version}</td>
            <td><a class="button-link" href=${`#/processes/start/${encodeURIComponent(definition.id)}`}
              aria-label=${`Start ${name}`}>Start</a></td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

function ProcessesOverview() {
  const definitions = useLoaded(
    (signal) => get("/process-definition", { latestVersion: true, sortBy: "name", sortOrder: "asc" }, signal),
    [],
  );
  return html`<h1 tabindex="-1" data-route-heading=${routeKey("processes")} ref=${focusHeadingIfArrived}>Processes</h1>
    <div class="processes-columns">
      <section aria-labelledby="definitions-heading">
        <h2 id="definitions-heading">Deployed processes</h2>
        <${ErrorMessage} error=${definitions.error} />
        ${definitions.data && html`<${DefinitionList} definitions=${definitions.data} />`}
        <${DeployForm} onDeployed=${definitions.reload} />
      </section>
      <${InstanceLists} />
    </div>`;
}

export function ProcessesView({ route }) {
  if (route.view === "instances") return html`<${InstanceView} id=${route.rest[0]} />`;
  if (route.rest[0] === "start") return html`<${StartView} definitionId=${route.rest[1]} />`;
  return html`<${ProcessesOverview} />`;
}

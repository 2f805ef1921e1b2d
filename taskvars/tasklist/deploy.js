// Deploying a .bpmn file chosen in the browser; a refused model's problems, every one.
import { call } from "./api.js";
import { useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, html } from "./ui.js";

// Camunda's ProblemDto spells its element ids' key with a Cyrillic "е" (U+0435).
const ELEMENT_IDS = "\u0435lementIds";

/** Where a problem is: "line 7, column 70, element price" (each part where given). */
function problemPlace(problem) {
  const elements = (problem[ELEMENT_IDS]?.length ? problem[ELEMENT_IDS] : [problem.mainElementId]).filter(Boolean);
  return [
    problem.line != null && `line ${problem.line}`,
    problem.column != null && `column ${problem.column}`,
    elements.length > 0 && `element ${elements.join(", ")}`,
  ]
    .filter(Boolean)
    .join(", ");
}

function ProblemList({ kind, problems }) {
  if (!problems?.length) return null;
  return html`<ul class="problems">
    ${problems.map((problem) => {
      const place = problemPlace(problem);
      return html`<li>
        <strong>${kind}:</strong> ${problem.message}
        ${place && html` <span class="problem-place">(${place})</span>`}
      </li>`;
    })}
  </ul>`;
}

/** A refusal: Camunda's ParseException lists its problems per file in ``details``. */
function Refusal({ error }) {
  const files = Object.entries(error.body?.details || {});
  if (error.type !== "ParseException" || !files.length) return html`<${ErrorMessage} error=${error} />`;
  return html`<div class="refusal" role="alert">
    <p class="error">The model was refused:</p>
    ${files.map(
      ([file, { errors, warnings }]) => html`<section aria-label=${`Problems in ${file}`}>
        <h3>${file}</h3>
        <${ProblemList} kind="Error" problems=${errors} />
        <${ProblemList} kind="Warning" problems=${warnings} />
      </section>`,
    )}
  </div>`;
}

function deployedNames(deployment) {
  return Object.values(deployment.deployedProcessDefinitions || {})
    .map((definition) => `${definition.name || definition.key} (version ${definition.version})`)
    .join(", ");
}

/** The deploy form; ``onDeployed`` is called after the server took the file. */
export function DeployForm({ onDeployed }) {
  const [state, setState] = useState({});
  const submit = async (event) => {
    event.preventDefault();
    if (state.busy) return; // the button stays enabled: disabled, it would drop the focus
    const formElement = event.currentTarget; // the event's, gone once the request is awaited
    const file = formElement.elements.model.files[0];
    if (!file) {
      setState({ error: new Error("Choose a .bpmn file first.") });
      return;
    }
    const body = new FormData();
    body.append("deployment-name", file.name);
    body.append("deploy-changed-only", "false");
    body.append("data", file, file.name);
    setState({ busy: true });
    try {
      const deployment = await call("POST", "/deployment/create", { form: body });
      setState({ done: `Deployed ${file.name}: ${deployedNames(deployment) || "no process in it"}.` });
      formElement.reset();
      onDeployed();
    } catch (error) {
      setState({ error });
    }
  };
  return html`<form class="deploy" onSubmit=${submit} aria-labelledby="deploy-heading">
    <h2 id="deploy-heading">Deploy a model</h2>
    <div class="deploy-row">
      <label>BPMN file <input type="file" name="model" accept=".bpmn,.bpmn20.xml,.xml" /></label>
      <button type="submit" aria-busy=${state.busy ? "true" : undefined}>Deploy</button>
    </div>
    <p class="deploy-status" role="status">${state.busy ? "Deploying…" : state.done || ""}</p>
    ${state.error && html`<${Refusal} error=${state.error} />`}
  </form>`;
}

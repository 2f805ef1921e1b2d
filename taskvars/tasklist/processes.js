// Processes: deployed definitions (start, deploy a .bpmn file), running and finished
// instances with their variables, files and diagram.
import { html } from "./ui.js";

export function ProcessesView({ route }) {
  return html`<section aria-labelledby="processes-heading">
    <h1 id="processes-heading">Processes</h1>
    <p>${route.view}: to be built.</p>
  </section>`;
}

// The process diagram, drawn by bpmn-js's viewer (vendored; loaded on first use), with
// the active activities and those already passed marked.
import { useEffect, useRef, useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, html } from "./ui.js";

let viewerLoaded = null;

/** bpmn-js's BpmnJS viewer class: its UMD script and stylesheets are added once. */
function loadViewer() {
  viewerLoaded ??= new Promise((resolve, reject) => {
    for (const sheet of ["vendor/diagram-js.css", "vendor/bpmn-js.css"]) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = sheet;
      document.head.prepend(link); // before the page's own: processes.css's markers win
    }
    const script = document.createElement("script");
    script.src = "vendor/bpmn-viewer.production.min.js";
    script.addEventListener("load", () => resolve(window.BpmnJS));
    script.addEventListener("error", () => {
      viewerLoaded = null; // another view may try again
      reject(new Error("The diagram viewer could not be loaded."));
    });
    document.head.append(script);
  });
  return viewerLoaded;
}

async function draw(BpmnJS, container, { xml, active, passed }) {
  const viewer = new BpmnJS({ container });
  await viewer.importXML(xml);
  const canvas = viewer.get("canvas");
  const elements = viewer.get("elementRegistry");
  // Ids the diagram does not draw (a multi-instance body's "<id>#multiInstanceBody") are left out.
  const mark = (ids, marker) => ids.filter((id) => elements.get(id)).forEach((id) => canvas.addMarker(id, marker));
  mark(passed, "activity-passed");
  mark(active, "activity-active");
  canvas.zoom("fit-viewport", "auto"); // the whole diagram, centred
  return viewer;
}

/**
 * The diagram of ``xml`` with ``active`` and ``passed`` activity ids marked; ``caption``
 * says in words what the marks show (the diagram's text alternative).
 */
export function Diagram({ xml, active, passed, caption }) {
  const container = useRef(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let viewer = null;
    let removed = false;
    loadViewer()
      .then((BpmnJS) => (removed ? null : draw(BpmnJS, container.current, { xml, active, passed })))
      .then((drawn) => {
        viewer = drawn;
        if (removed) viewer?.destroy();
      })
      .catch((failure) => removed || setError(failure));
    return () => {
      removed = true;
      viewer?.destroy();
    };
  }, [xml, active.join(" "), passed.join(" ")]);
  return html`<figure class="diagram">
    <div class="diagram-canvas" ref=${container}></div>
    <figcaption>${caption}</figcaption>
    <${ErrorMessage} error=${error} />
  </figure>`;
}

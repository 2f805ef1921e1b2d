// The process diagram, drawn by bpmn-js's viewer (vendored; loaded on first use), with
// the active activities and those already passed marked.
import { useEffect, useRef, useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, html } from "./ui.js";

const BPMN_DI = "http://www.omg.org/spec/BPMN/20100524/DI";

/** Whether the model has a layout to draw (BPMN DI): modelling tools write one, not every generator. */
const hasLayout = (xml) =>
  new DOMParser().parseFromString(xml, "application/xml").getElementsByTagNameNS(BPMN_DI, "BPMNPlane").length > 0;

let viewerLoaded = null;

/** ``element`` added to the document's head, once it has loaded. */
function added(element, where) {
  return new Promise((resolve, reject) => {
    element.addEventListener("load", resolve);
    element.addEventListener("error", () => reject(new Error("The diagram viewer could not be loaded.")));
    document.head[where](element);
  });
}

/** bpmn-js's BpmnJS viewer class, once its UMD script and stylesheets have loaded. */
function loadViewer() {
  viewerLoaded ??= Promise.all([
    ...["vendor/diagram-js.css", "vendor/bpmn-js.css"].map((sheet) => {
      const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href: sheet });
      return added(link, "prepend"); // before the page's own: processes.css's markers win
    }),
    added(Object.assign(document.createElement("script"), { src: "vendor/bpmn-viewer.production.min.js" }), "append"),
  ]).then(
    () => window.BpmnJS,
    (error) => {
      viewerLoaded = null; // another view may try again
      throw error;
    },
  );
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
  const fit = () => {
    canvas.resized();
    const scale = canvas.zoom("fit-viewport", "auto"); // the whole diagram, centred
    // Shrunk to fit, the outermost shapes touch the edges: a margin keeps their strokes seen.
    if (scale < 1) canvas.zoom(scale * 0.92, "auto");
  };
  // Fitted once observed, and again whenever the layout resizes the container (a phone
  // turned); not while it has no size (being removed), which no scale fits.
  const observer = new ResizeObserver(([{ contentRect }]) => contentRect.width && contentRect.height && fit());
  observer.observe(container);
  viewer.on("diagram.destroy", () => observer.disconnect());
  return viewer;
}

/**
 * The diagram of ``xml`` with ``active`` and ``passed`` activity ids marked; ``caption``
 * says in words what the marks show (the diagram's text alternative).
 */
export function Diagram({ xml, active, passed, caption }) {
  if (!hasLayout(xml)) {
    return html`<figure class="diagram">
      <p class="muted">The model has no diagram layout (BPMN DI) to draw.</p>
      <figcaption>${caption}</figcaption>
    </figure>`;
  }
  return html`<${DrawnDiagram} xml=${xml} active=${active} passed=${passed} caption=${caption} />`;
}

function DrawnDiagram({ xml, active, passed, caption }) {
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

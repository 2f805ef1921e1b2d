// The running and finished process instances, each a link to the instance's view.
import { get } from "./api.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, formatDate, html } from "./ui.js";

const SHOWN = 50; // instances of each list; the count says how many there are

const instanceLink = (id, label) => html`<a href=${`#/instances/${encodeURIComponent(id)}`}>${label || id}</a>`;

async function loadInstances(signal) {
  const finishedQuery = { finished: true };
  const [running, runningCount, finished, finishedCount] = await Promise.all([
    get("/process-instance", { maxResults: SHOWN }, signal),
    get("/process-instance/count", null, signal),
    get("/history/process-instance", { ...finishedQuery, sortBy: "endTime", sortOrder: "desc", maxResults: SHOWN }, signal),
    get("/history/process-instance/count", finishedQuery, signal),
  ]);
  // A running instance's start date and definition name are in its history only.
  const ids = running.map((instance) => instance.id).join(",");
  const started = ids ? await get("/history/process-instance", { processInstanceIds: ids }, signal) : [];
  const historyOf = new Map(started.map((historic) => [historic.id, historic]));
  return {
    running: running.map((instance) => ({
      ...instance,
      definitionName: historyOf.get(instance.id)?.processDefinitionName || instance.definitionKey,
      startTime: historyOf.get(instance.id)?.startTime,
    })),
    runningCount: runningCount.count,
    finished,
    finishedCount: finishedCount.count,
  };
}

function InstanceTable({ label, rows, total, order, columns }) {
  if (!rows.length) return html`<p class="muted">None.</p>`;
  return html`${total > rows.length && html`<p class="muted">The ${order} ${rows.length} of ${total}.</p>`}
  <div class="table-scroll">
    <table aria-label=${label}>
      <thead><tr>${columns.map(([heading]) => html`<th scope="col">${heading}</th>`)}</tr></thead>
      <tbody>
        ${rows.map((row) => html`<tr key=${row.id}>${columns.map(([, cell]) => html`<td>${cell(row)}</td>`)}</tr>`)}
      </tbody>
    </table>
  </div>`;
}

/** The running instances in the order they started, the finished ones newest first. */
export function InstanceLists() {
  const instances = useLoaded(loadInstances, []);
  const { running = [], runningCount, finished = [], finishedCount } = instances.data || {};
  return html`<section aria-labelledby="instances-heading">
    <div class="heading-row">
      <h2 id="instances-heading">Instances</h2>
      <button type="button" class="secondary" onClick=${instances.reload} aria-busy=${instances.loading ? "true" : undefined}>Refresh</button>
    </div>
    <${ErrorMessage} error=${instances.error} />
    <h3>Running ${runningCount != null && html`<span class="instance-count">(${runningCount})</span>`}</h3>
    <${InstanceTable} label="Running instances" rows=${running} total=${runningCount} order="first" columns=${[
      ["Instance", (row) => instanceLink(row.id, row.businessKey)],
      ["Process", (row) => row.definitionName],
      ["Started", (row) => formatDate(row.startTime)],
    ]} />
    <h3>Finished ${finishedCount != null && html`<span class="instance-count">(${finishedCount})</span>`}</h3>
    <${InstanceTable} label="Finished instances" rows=${finished} total=${finishedCount} order="newest" columns=${[
      ["Instance", (row) => instanceLink(row.id, row.businessKey)],
      ["Process", (row) => row.processDefinitionName || row.processDefinitionKey],
      ["Started", (row) => formatDate(row.startTime)],
      ["Ended", (row) => formatDate(row.endTime)],
    ]} />
  </section>`;
}

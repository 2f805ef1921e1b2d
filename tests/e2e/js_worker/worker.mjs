// An external-task worker written with npm's camunda-external-task-client-js, unmodified,
// as its README shows: a Client polling with long polling, one subscription. It serves
// the topic of tests/bpmn/scan-invoice.bpmn and does what tests/e2e/python_worker.py does
// (the contract is in tests/e2e/external_workers.py); it also reads the instance's File
// variable "scan" the client's way (File.load(): GET /execution/{id}/localVariables/scan/data).
//
//     node tests/e2e/js_worker/worker.mjs BASE_URL RETRY_TIMEOUT_MS
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { Client, File, Variables, logger } from "camunda-external-task-client-js";

const [baseUrl, retryTimeout] = process.argv.slice(2);
const RECEIPT = Buffer.from("Receipt INV-1: 1 250,00 € paid\n", "utf-8");
const receiptPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "js-worker-")), "receipt.txt");
fs.writeFileSync(receiptPath, RECEIPT);

// Fetches of each task seen by this process: the first two of a "fail-twice" task fail.
const attempts = new Map();

async function completionVariables(task, attempt) {
  const receipt = await new File({
    localPath: receiptPath,
    filename: "receipt.txt",
    encoding: "utf-8",
    mimetype: "text/plain",
  }).load();
  const variables = new Variables()
    .set("amount", 1250)
    .set("approver", "anna")
    .setTyped("decision", { type: "json", value: { approved: true, limits: [1000, 5000] } })
    .set("attempt", attempt)
    .set("receipt", receipt);
  const scan = task.variables.get("scan");
  if (scan) {
    variables.set("scanBytes", (await scan.load()).content.length);
  }
  return variables;
}

const client = new Client({
  baseUrl,
  workerId: "js-worker",
  maxTasks: 1,
  lockDuration: 30000,
  asyncResponseTimeout: 5000,
  interval: 50,
  use: logger,
});

client.subscribe("scan-invoice", async ({ task, taskService }) => {
  const attempt = (attempts.get(task.id) ?? 0) + 1;
  attempts.set(task.id, attempt);
  const action = task.variables.get("action");
  if (action === "reject") {
    const variables = new Variables().set("rejectionReason", "duplicate");
    await taskService.handleBpmnError(task, "REJECTED", "Invoice rejected", variables);
  } else if (action === "fail-twice" && attempt <= 2) {
    await taskService.handleFailure(task, {
      errorMessage: `Scanner offline (attempt ${attempt})`,
      errorDetails: "paper jam in tray 2",
      retries: task.retries == null ? 2 : task.retries - 1,
      retryTimeout: Number(retryTimeout),
    });
  } else {
    await taskService.complete(task, await completionVariables(task, attempt));
  }
});

process.on("SIGTERM", () => {
  client.stop();
  process.exit(0);
});

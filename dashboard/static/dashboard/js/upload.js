// Upload a kubectl dump: pick (or, as an admin, create) a cluster, send the file to
// POST /api/v1/clusters/{c}/snapshots/ with XMLHttpRequest (fetch reports no upload progress),
// and show the API's own message on failure or links to the new snapshot on success.

import { api, csrfToken } from "./api.js";
import { copyText, fill, h, pageData } from "./dom.js";
import { count } from "./format.js";

const data = pageData("upload-data");
const form = document.getElementById("upload-form");
const select = document.getElementById("cluster-select");
const fileInput = document.getElementById("dump-file");
const fileError = document.getElementById("file-error");
const nameInput = document.getElementById("new-name");
const nameError = document.getElementById("new-name-error");
const button = document.getElementById("upload-button");
const progress = document.getElementById("progress");
const bar = document.getElementById("progress-bar");
const progressLabel = document.getElementById("progress-label");
const result = document.getElementById("result");

function size(bytes) {
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

function fieldError(input, el, message) {
  if (!el) return;
  el.textContent = message || "";
  el.hidden = !message;
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
}

function target() {
  const checked = form.querySelector("input[name=target]:checked");
  return checked ? checked.value : "existing";
}

// The radio choice enables only the controls of the option chosen; the other option's fields
// are disabled and dimmed (labels and hints too) until it is chosen.
function syncTarget() {
  const newBody = document.getElementById("new-body");
  if (!newBody) return;
  const isNew = target() === "new";
  newBody.querySelectorAll("input").forEach((i) => { i.disabled = !isNew; });
  select.disabled = isNew || !data.clusters.length;
  newBody.classList.toggle("choice-body--inactive", !isNew);
  document.getElementById("existing-body").classList.toggle("choice-body--inactive", isNew);
}
form.querySelectorAll("input[name=target]").forEach((r) => r.addEventListener("change", syncTarget));
syncTarget();

function links(name) {
  const url = (template) => template.replace("CLUSTER", encodeURIComponent(name));
  return h(
    "p",
    { class: "result-links" },
    h("a", { href: url(data.clusterUrl) }, `Open ${name}`),
    h("a", { href: url(data.timelineUrl) }, "See it on the timeline"),
  );
}

function showSuccess(name, snapshot) {
  const c = snapshot.counts;
  fill(
    result,
    h(
      "div",
      { class: "banner banner--success", role: "status" },
      h("p", {}, h("strong", {}, `Snapshot ${snapshot.seq} of ${name} is stored.`)),
      h(
        "p",
        {},
        `${count(c.services)} Services, ${count(c.nodes)} nodes, ${count(c.endpointSlices)} EndpointSlices ` +
          `(${count(c.endpoints)} endpoints) and ${count(c.pods)} pods.`,
      ),
      links(name),
    ),
  );
}

function showError(title, message) {
  fill(
    result,
    h(
      "div",
      { class: "banner banner--error", role: "alert" },
      h("p", {}, h("strong", {}, title)),
      h("p", { class: "api-message" }, message),
    ),
  );
}

async function createCluster() {
  const name = nameInput.value.trim();
  if (!name) {
    fieldError(nameInput, nameError, "Give the new cluster a name.");
    nameInput.focus();
    return null;
  }
  const displayName = document.getElementById("new-display").value.trim();
  try {
    await api.post("/api/v1/clusters/", { name, displayName, source: "upload" });
  } catch (err) {
    const detail = err.details && err.details.name;
    fieldError(nameInput, nameError, detail ? detail[0] : err.message);
    nameInput.focus();
    return null;
  }
  // From now on it is an existing cluster: offer it in the list and select it.
  const option = h("option", { value: name }, displayName && displayName !== name ? `${displayName} (${name})` : name);
  let group = select.querySelector("optgroup");
  if (!group) {
    group = h("optgroup", { label: "Clusters that take uploads" });
    select.prepend(group);
  }
  group.append(option);
  data.clusters.push({ name });
  select.value = name;
  document.getElementById("target-existing").disabled = false;
  document.getElementById("target-existing").checked = true;
  nameInput.value = "";
  syncTarget();
  return name;
}

function send(name, file) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/clusters/${encodeURIComponent(name)}/snapshots/`);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const done = Math.round((event.loaded / event.total) * 100);
      bar.value = done;
      progressLabel.textContent = `Uploading… ${done}% of ${size(event.total)}`;
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate while the server reads and analyses it
      progressLabel.textContent = "Uploaded; reading and analysing the dump…";
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => resolve({ status: 0, body: null }));
    const formData = new FormData();
    formData.append("file", file);
    xhr.send(formData);
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  fill(result);
  fieldError(fileInput, fileError, "");
  fieldError(nameInput, nameError, "");
  const file = fileInput.files[0];
  if (!file) {
    fieldError(fileInput, fileError, "Choose the dump file to upload.");
    fileInput.focus();
    return;
  }
  if (file.size > data.limit) {
    fieldError(
      fileInput,
      fileError,
      `This file is ${size(file.size)}, larger than the limit of ${data.limitText} (TRAFFICLENS_UPLOAD_MAX_BYTES).`,
    );
    fileInput.focus();
    return;
  }
  button.disabled = true;
  try {
    const name = target() === "new" ? await createCluster() : select.value;
    if (!name) {
      if (target() !== "new") showError("Choose a cluster.", "There is no cluster to add the snapshot to.");
      return;
    }
    bar.value = 0;
    progressLabel.textContent = "Uploading…";
    progress.hidden = false;
    const { status, body } = await send(name, file);
    progress.hidden = true;
    if (status === 201 && body) {
      showSuccess(name, body);
      return;
    }
    const error = body && body.error;
    if (status === 413) {
      showError("The dump is too large.", `${error ? error.message : ""} The limit is ${data.limitText}.`.trim());
    } else if (status === 0) {
      showError(
        "The upload did not reach the server.",
        "The connection failed; check it and try again.",
      );
    } else {
      showError(
        status === 400 ? "The dump was refused; nothing was stored." : `The upload failed (HTTP ${status}).`,
        error ? error.message : `HTTP ${status}`,
      );
    }
  } finally {
    progress.hidden = true;
    button.disabled = false;
  }
});

// The chosen file's name and size beside the picker's button.
function showFileName() {
  const file = fileInput.files[0];
  const name = document.getElementById("file-name");
  name.textContent = file ? `${file.name} · ${size(file.size)}` : "No file chosen";
  name.toggleAttribute("data-empty", !file);
}

fileInput.addEventListener("change", () => {
  fieldError(fileInput, fileError, "");
  showFileName();
});
showFileName(); // a file kept by the browser across a reload

// The kubectl command's copy button; where the clipboard is refused, select the text instead.
const copyButton = document.getElementById("copy-command");
copyButton.addEventListener("click", async () => {
  const status = document.getElementById("command-status");
  const pre = document.getElementById("command");
  status.textContent = (await copyText(pre.textContent, pre)) ? "Copied" : "Selected: press Ctrl+C to copy";
  setTimeout(() => { status.textContent = ""; }, 4000);
});

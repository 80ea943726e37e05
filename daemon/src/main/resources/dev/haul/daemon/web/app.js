// The web page of the Haul daemon: plain JS, no build step, no network but the daemon.
// The list comes from GET /api/v1/jobs, and stays current through the event stream
// (GET /api/v1/events); a gap in the event ids, or a reconnect, reloads it.
"use strict";

const api = "/api/v1";
let token = null;
const jobs = new Map();
let lastEvent = null;
let source = null;

const $ = (sel) => document.querySelector(sel);

function takeToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("haul-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname); // keep it out of the address bar
  }
  return sessionStorage.getItem("haul-token");
}

async function call(method, path, body) {
  const init = { method, headers: { Authorization: "Bearer " + token } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(api + path, init);
  const data = await r.json();
  if (r.status === 401) {
    showLogin("The token was refused: " + data.error.message);
  }
  if (!r.ok) {
    throw new Error(data.error ? data.error.message : "HTTP " + r.status);
  }
  return data;
}

async function reload() {
  const all = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await call("GET", "/jobs?limit=1000&offset=" + offset);
    all.push(...page.jobs);
    if (all.length >= page.total || page.jobs.length === 0) break;
  }
  jobs.clear();
  for (const j of all) jobs.set(j.id, j);
  render();
}

function connect() {
  if (source) source.close();
  source = new EventSource(api + "/events?token=" + encodeURIComponent(token));
  source.addEventListener("hello", (e) => {
    const hello = JSON.parse(e.data);
    $("#connection").textContent = "live";
    $("#connection").className = "on";
    // a fresh stream (not a resumed one): the list may be stale
    if (lastEvent === null || hello.sequence !== lastEvent) {
      lastEvent = hello.sequence;
      reload().catch(showError);
    }
  });
  for (const type of ["added", "state", "progress", "moved"]) {
    source.addEventListener(type, (e) => {
      const seq = Number(e.lastEventId);
      const gap = lastEvent !== null && seq !== lastEvent + 1;
      lastEvent = seq;
      const job = JSON.parse(e.data);
      if (gap || type === "moved") {
        reload().catch(showError);
        return;
      }
      if (job.state === "removed") jobs.delete(job.id); else jobs.set(job.id, job);
      render();
    });
  }
  source.onerror = () => {
    $("#connection").textContent = "reconnecting…";
    $("#connection").className = "off";
  };
}

function size(n) {
  if (n < 0) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function eta(s) {
  if (s === null || s === undefined) return "";
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

function button(label, action, id) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.id = id;
  return b;
}

// Rows are kept per job and updated in place, so a button does not vanish under the pointer
// when progress arrives (twice a second per active job).
const rows = new Map();

function makeRow(id) {
  const tr = document.createElement("tr");
  tr.dataset.id = id;
  tr.innerHTML = '<td class="id"></td><td class="name"></td>'
    + '<td><span class="state"></span><div class="worker"></div><div class="failure"></div></td>'
    + '<td><div class="bar"><div></div></div><small class="bytes"></small></td>'
    + '<td class="speed"></td><td class="eta"></td><td class="actions"></td>';
  return tr;
}

function updateRow(tr, j) {
  const cell = (sel) => tr.querySelector(sel);
  cell(".id").textContent = j.id;
  cell(".name").textContent = j.name;
  cell(".name").title = j.file + "\n" + j.url;
  cell(".state").textContent = j.state;
  // with a shared queue, which daemon of the fleet runs it
  cell(".worker").textContent = j.state === "active" && j.worker ? "on " + j.worker : "";
  cell(".failure").textContent = j.failure ? j.failure.code + ": " + j.failure.message : "";
  const pct = j.totalBytes > 0 ? Math.min(100, 100 * j.bytesDone / j.totalBytes)
    : (j.state === "completed" ? 100 : 0);
  cell(".bar > div").style.width = pct.toFixed(1) + "%";
  cell(".bytes").textContent = size(j.bytesDone) + " / " + size(j.totalBytes);
  cell(".speed").textContent = j.state === "active" ? size(j.bytesPerSecond) + "/s" : "";
  cell(".eta").textContent = j.state === "active" ? eta(j.etaSeconds) : "";
  if (tr.dataset.state !== j.state) {
    tr.dataset.state = j.state;
    const actions = cell(".actions");
    actions.replaceChildren();
    const live = j.state === "queued" || j.state === "active" || j.state === "paused";
    if (j.state === "queued" || j.state === "active") actions.append(button("Pause", "pause", j.id));
    if (j.state === "paused") actions.append(button("Resume", "resume", j.id));
    if (j.state === "failed") actions.append(button("Retry", "resume", j.id));
    if (live) actions.append(button("↑", "up", j.id), button("↓", "down", j.id));
    actions.append(button("Remove", "remove", j.id));
  }
}

function render() {
  const body = $("#jobs tbody");
  const list = [...jobs.values()].sort((a, b) => a.position - b.position || a.id - b.id);
  for (const [id, tr] of rows) {
    if (!jobs.has(id)) {
      tr.remove();
      rows.delete(id);
    }
  }
  let speed = 0;
  let k = 0;
  for (const j of list) {
    speed += j.bytesPerSecond;
    let tr = rows.get(j.id);
    if (!tr) {
      tr = makeRow(j.id);
      rows.set(j.id, tr);
    }
    updateRow(tr, j);
    if (body.children[k] !== tr) body.insertBefore(tr, body.children[k] || null);
    k++;
  }
  $("#empty").hidden = list.length > 0;
  const counts = {};
  for (const j of list) counts[j.state] = (counts[j.state] || 0) + 1;
  $("#totals").textContent = Object.entries(counts).map(([s, n]) => n + " " + s).join(", ")
    + (speed > 0 ? " · " + size(speed) + "/s" : "");
}

function showError(e) {
  $("#add-error").textContent = String(e.message || e);
}

async function act(action, id) {
  const paths = {
    pause: ["POST", "/jobs/" + id + "/pause"],
    resume: ["POST", "/jobs/" + id + "/resume"],
    up: ["POST", "/jobs/" + id + "/move", { by: -1 }],
    down: ["POST", "/jobs/" + id + "/move", { by: 1 }],
    remove: ["DELETE", "/jobs/" + id + "?partial=keep"],
  };
  const [method, path, body] = paths[action];
  const job = await call(method, path, body);
  if (job.state === "removed") jobs.delete(job.id); else jobs.set(job.id, job);
  render();
}

async function loadOptions() {
  const o = await call("GET", "/options");
  $("#speed-limit").value = Math.round(o.maxBytesPerSecond / 1024);
  $("#concurrency").value = o.maxConcurrentDownloads;
}

function showLogin(message) {
  $("#login").hidden = false;
  $("#app").hidden = true;
  if (message) $("#login .hint").textContent = message;
}

async function start() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  await loadOptions();
  connect();
}

$("#login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("#token").value.trim();
  sessionStorage.setItem("haul-token", token);
  start().catch(showError);
});

$("#add-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("#add-error").textContent = "";
  const urls = $("#urls").value.split(/\s+/).filter((u) => u.length > 0);
  if (urls.length === 0) return;
  const dir = $("#dir").value.trim();
  const paused = $("#add-paused").checked;
  const list = urls.map((url) => {
    const j = { url };
    if (dir) j.dir = dir;
    if (paused) j.paused = true;
    return j;
  });
  try {
    const added = await call("POST", "/jobs/batch", { jobs: list });
    for (const j of added.jobs) jobs.set(j.id, j);
    $("#urls").value = "";
    render();
  } catch (err) {
    showError(err);
  }
});

$("#jobs").addEventListener("click", (e) => {
  const b = e.target.closest("button[data-action]");
  if (b) act(b.dataset.action, Number(b.dataset.id)).catch(showError);
});

$("#apply-limit").addEventListener("click", () => {
  const kib = Math.max(0, Number($("#speed-limit").value) || 0);
  call("PATCH", "/options", { maxBytesPerSecond: Math.round(kib * 1024) })
    .then(loadOptions).catch(showError);
});

$("#apply-concurrency").addEventListener("click", () => {
  const n = Number($("#concurrency").value) || 1;
  call("PATCH", "/options", { maxConcurrentDownloads: n }).then(loadOptions).catch(showError);
});

token = takeToken();
if (token) start().catch(showError); else showLogin();

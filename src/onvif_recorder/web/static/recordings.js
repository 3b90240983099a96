"use strict";
// The recordings page: the list arrives over server-sent events and is redrawn whole.

const canChange = document.body.dataset.canChange === "true";

function stateBadge(state, kind) {
  return element("span", {className: `state state-${state} ${kind}`, textContent: state,
                          title: kind === "job-state" ? "job state" : "receiver state"});
}

function jobsCell(recording) {
  const cell = element("td", {className: "jobs"});
  if (recording.jobs.length === 0) { cell.append(element("span", {className: "muted", textContent: "no job"})); }
  for (const job of recording.jobs) {
    const line = element("div", {className: "job"}, `${job.token} `);
    const badge = stateBadge(job.state, "job-state");
    badge.dataset.state = job.state;
    line.append(badge, element("span", {className: "muted", textContent: ` mode ${job.mode}`}));
    cell.append(line);
  }
  return cell;
}

function receiversCell(recording) {
  const cell = element("td", {className: "receivers"});
  for (const receiver of recording.receivers) {
    const line = element("div", {}, `${receiver.token} `, stateBadge(receiver.state, "receiver-state"));
    if (receiver.uri) { line.append(element("div", {className: "muted", textContent: receiver.uri})); }
    cell.append(line);
  }
  return cell;
}

function actionsCell(recording) {
  const cell = element("td", {className: "actions"});
  if (!canChange) { return cell; }
  if (recording.jobs.length > 0) {
    const active = recording.jobs.some((job) => job.mode === "Active");
    const toggle = element("button", {type: "button", textContent: active ? "Stop" : "Start"});
    toggle.setAttribute("aria-label", `${active ? "Stop" : "Start"} recording ${recording.token}`);
    toggle.addEventListener("click", () => act(`/api/recordings/${encodeURIComponent(recording.token)}/mode`,
                                               {mode: active ? "Idle" : "Active"}));
    cell.append(toggle);
  }
  const remove = element("button", {type: "button", textContent: "Delete", className: "danger"});
  remove.setAttribute("aria-label", `Delete recording ${recording.token}`);
  remove.addEventListener("click", () => {
    if (window.confirm(`Delete recording ${recording.token} and everything recorded in it?`)) {
      act(`/api/recordings/${encodeURIComponent(recording.token)}/delete`, {});
    }
  });
  cell.append(remove);
  return cell;
}

function row(recording) {
  const tr = element("tr", {});
  tr.dataset.token = recording.token;
  const link = element("a", {href: `/recordings/${encodeURIComponent(recording.token)}`,
                             className: "token", textContent: recording.token});
  const last = recording.last_segment_end ? formatTime(Date.parse(recording.last_segment_end)) : "—";
  tr.append(
    element("td", {}, link),
    element("td", {textContent: recording.name}),
    element("td", {textContent: recording.source}),
    element("td", {textContent: recording.tracks.map((t) => `${t.token} (${t.type})`).join(", ")}),
    jobsCell(recording), receiversCell(recording),
    element("td", {className: "stored",
                   textContent: `${formatBytes(recording.bytes)}, ${formatDuration(recording.seconds)}`}),
    element("td", {className: "last-segment", textContent: last}),
    actionsCell(recording));
  return tr;
}

function render(recordings) {
  const body = document.querySelector("#recordings tbody");
  body.replaceChildren(...recordings.map(row));
  if (recordings.length === 0) {
    const empty = element("td", {colSpan: 9, className: "muted", textContent: "No recordings yet."});
    body.append(element("tr", {}, empty));
  }
}

async function act(url, fields) {
  showMessage("");
  try { await postForm(url, fields); } catch (error) { showMessage(error.message); }
}

function follow() {
  const status = document.getElementById("live-status");
  const source = new EventSource("/api/events");
  source.addEventListener("recordings", (event) => {
    render(JSON.parse(event.data).recordings);
    status.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
  });
  source.addEventListener("logout", () => { source.close(); window.location.assign("/login"); });
  source.addEventListener("error", () => { status.textContent = "connection lost, reconnecting…"; });
}

function addCamera() {
  const form = document.getElementById("add-camera");
  if (!form) { return; }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("add-camera-status");
    const button = form.querySelector("button");
    const fields = {uri: form.uri.value, name: form.name.value, start: form.start.checked ? "on" : ""};
    showMessage("");
    status.textContent = "probing the camera…";
    button.disabled = true;
    try {
      const answer = await postForm("/api/cameras", fields);
      status.textContent = `added ${answer.recording}`;
      form.reset();
    } catch (error) {
      status.textContent = "";
      showMessage(error.message);
    } finally {
      button.disabled = false;
    }
  });
}

follow();
addCamera();

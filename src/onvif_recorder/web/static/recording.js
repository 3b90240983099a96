"use strict";
// A recording's page: the timeline of spans and gaps (from timeline.json), a player fed
// by hls.js from index.m3u8 at the clicked time, and a clip download.

const token = document.body.dataset.recording;
const base = `/recordings/${encodeURIComponent(token)}`;
const MINUTE = 60e3, DAY = 24 * 3600e3;
const LEVELS = [31 * DAY, 7 * DAY, DAY, 6 * 3600e3, 3600e3, 10 * MINUTE, MINUTE];
const view = {start: Date.now() - DAY, end: Date.now()};
let spans = [];
let hls = null;
let playStart = null;  // the clicked time the playlist was asked for

const timeline = document.getElementById("timeline");
const video = document.getElementById("player");

async function load() {
  showMessage("");
  try {
    const data = await getJson(`${base}/timeline.json?start=${isoUtc(view.start)}&end=${isoUtc(view.end)}`);
    spans = data.spans.map((s) => ({start: Date.parse(s.start), end: Date.parse(s.end)}));
  } catch (error) {
    showMessage(`Timeline: ${error.message}`);
  }
  draw();
}

function position(ms) {
  return (ms - view.start) / (view.end - view.start) * 100;
}

function draw() {
  timeline.dataset.start = String(view.start);
  timeline.dataset.end = String(view.end);
  timeline.setAttribute("aria-valuemin", isoUtc(view.start));
  timeline.setAttribute("aria-valuemax", isoUtc(view.end));
  const parts = [];
  for (const span of spans) {
    const left = Math.max(0, position(span.start)), right = Math.min(100, position(span.end));
    if (right <= 0 || left >= 100) { continue; }
    const bar = element("div", {className: "span", title: `${formatTime(span.start)} – ${formatTime(span.end)}`});
    bar.style.left = `${left}%`;
    bar.style.width = `${Math.max(right - left, 0)}%`;
    bar.dataset.start = String(span.start);
    bar.dataset.end = String(span.end);
    parts.push(bar);
  }
  const head = element("div", {className: "playhead", id: "playhead"});
  head.hidden = true;
  parts.push(head);
  timeline.replaceChildren(...parts);
  drawAxis();
  document.getElementById("timeline-range").textContent =
    `${formatTime(view.start)} – ${formatTime(view.end)} (${describeWidth(view.end - view.start)})`;
}

function drawAxis() {
  const axis = document.getElementById("timeline-axis");
  const ticks = [];
  for (let i = 0; i <= 4; i += 1) {
    const at = view.start + (view.end - view.start) * i / 4;
    const label = element("span", {textContent: new Date(at).toISOString().slice(view.end - view.start > 2 * DAY ? 0 : 11, view.end - view.start > 2 * DAY ? 10 : 19)});
    label.style.left = `${i * 25}%`;
    ticks.push(label);
  }
  axis.replaceChildren(...ticks);
}

function describeWidth(ms) {
  if (ms >= DAY) { return `${(ms / DAY).toFixed(ms % DAY ? 1 : 0)} days`; }
  if (ms >= 3600e3) { return `${(ms / 3600e3).toFixed(1)} hours`; }
  return `${(ms / MINUTE).toFixed(1)} minutes`;
}

function zoom(direction, center) {
  const width = view.end - view.start;
  const middle = center ?? (view.start + width / 2);
  const next = direction > 0 ? LEVELS.find((level) => level < width - 1) ?? MINUTE
                             : [...LEVELS].reverse().find((level) => level > width + 1) ?? LEVELS[0];
  view.start = middle - next / 2;
  view.end = middle + next / 2;
  load();
}

function shift(fraction) {
  const step = (view.end - view.start) * fraction;
  view.start += step;
  view.end += step;
  load();
}

function timeAt(clientX) {
  const box = timeline.getBoundingClientRect();
  return view.start + (clientX - box.left) / box.width * (view.end - view.start);
}

function play(at) {
  playStart = at;
  setClip(at, at + MINUTE);
  const url = `${base}/hls/index.m3u8?start=${isoUtc(at)}`;
  showMessage("");
  if (window.Hls && Hls.isSupported()) {
    if (hls) { hls.destroy(); }
    hls = new Hls({enableWorker: true});
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal) { showMessage(`Playback: ${data.details}${data.response ? " (" + data.response.code + ")" : ""}`); }
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
    hls.loadSource(url);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = url;
    video.play().catch(() => {});
  } else {
    showMessage("This browser cannot play HLS.");
  }
}

function playingDate() {
  if (hls && hls.playingDate) { return hls.playingDate.getTime(); }
  return null;
}

function followPlayhead() {
  const at = playingDate();
  const head = document.getElementById("playhead");
  if (at === null || !head) { return; }
  document.getElementById("playing-at").textContent = `playing ${formatTime(at)}`;
  const left = position(at);
  head.hidden = left < 0 || left > 100;
  head.style.left = `${left}%`;
}

function setClip(start, end) {
  document.getElementById("clip-start").value = isoUtc(start);
  document.getElementById("clip-end").value = isoUtc(end);
  updateDownload();
}

function updateDownload() {
  const start = document.getElementById("clip-start").value.trim();
  const end = document.getElementById("clip-end").value.trim();
  const link = document.getElementById("download");
  link.href = `${base}/clip.mp4?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`;
  link.setAttribute("download", `${token}-${start.replace(/[:]/g, "")}.mp4`);
}

async function fit() {
  // Everything of the last month, then the view fitted to what is recorded.
  view.end = Date.now() + MINUTE;
  view.start = view.end - 31 * DAY;
  await load();
  if (spans.length > 0) {
    const first = spans[0].start, last = spans[spans.length - 1].end;
    const width = Math.max(last - first, MINUTE) * 1.1;
    const middle = (first + last) / 2;
    view.start = middle - width / 2;
    view.end = middle + width / 2;
    draw();
    setClip(Math.max(first, last - MINUTE), last);
  }
}

timeline.addEventListener("click", (event) => play(timeAt(event.clientX)));
timeline.addEventListener("wheel", (event) => {
  event.preventDefault();
  zoom(event.deltaY < 0 ? 1 : -1, timeAt(event.clientX));
}, {passive: false});
timeline.addEventListener("keydown", (event) => {
  if (event.key === "+") { zoom(1); } else if (event.key === "-") { zoom(-1); }
  else if (event.key === "ArrowLeft") { shift(-0.25); } else if (event.key === "ArrowRight") { shift(0.25); }
});
function zoomCenter() {
  const at = playingDate();
  return at !== null && at >= view.start && at <= view.end ? at : undefined;
}

document.getElementById("zoom-in").addEventListener("click", () => zoom(1, zoomCenter()));
document.getElementById("zoom-out").addEventListener("click", () => zoom(-1, zoomCenter()));
document.getElementById("earlier").addEventListener("click", () => shift(-0.5));
document.getElementById("later").addEventListener("click", () => shift(0.5));
document.getElementById("clip-start").addEventListener("input", updateDownload);
document.getElementById("clip-end").addEventListener("input", updateDownload);
video.addEventListener("timeupdate", followPlayhead);
video.addEventListener("error", () => {
  if (video.error) { showMessage(`Playback: ${video.error.message || "media error " + video.error.code}`); }
});
fit();

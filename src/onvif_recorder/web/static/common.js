"use strict";
// Shared by the pages: the CSRF-carrying POST, messages and formatting.

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

async function postForm(url, fields) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: {"X-CSRF-Token": csrfToken()}, body: new URLSearchParams(fields),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { /* not JSON */ }
  if (response.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(location.pathname)); }
  if (!response.ok) { throw new Error(data.error || `${response.status} ${response.statusText}`); }
  return data;
}

async function getJson(url) {
  const response = await fetch(url, {credentials: "same-origin"});
  let data = {};
  try { data = await response.json(); } catch (e) { /* not JSON */ }
  if (response.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(location.pathname)); }
  if (!response.ok) { throw new Error(data.error || `${response.status} ${response.statusText}`); }
  return data;
}

function showMessage(text) {
  document.getElementById("message").textContent = text || "";
}

function element(tag, properties, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, properties || {});
  for (const child of children) {
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatDuration(seconds) {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}`;
}

function isoUtc(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, (m) => m === ".000Z" ? "Z" : m);
}

function formatTime(ms) {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

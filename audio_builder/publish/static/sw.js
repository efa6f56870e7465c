// The offline worker. Shell files are kept at install; a session is kept when the
// listener asks ("Keep for offline"). Pages and data come from the network when there
// is one, else from what was kept. Audio asks for byte ranges: a kept MP3 answers them
// from the cache (206 with the right slice), or seeking offline would break.
"use strict";

const SHELL = "ab-shell-v1";
const KEPT = "ab-kept-v1";
const SHELL_FILES = /* the site's own files, written in by publish (site.py) */ [];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) {
    return;
  }
  event.respondWith(request.headers.has("range") ? ranged(request) : fresh(request, event));
});

async function keptCopy(url) {
  for (const name of [KEPT, SHELL]) {
    const cache = await caches.open(name);
    const hit = await cache.match(url, { ignoreVary: true });
    if (hit) return { cache, hit, name };
  }
  return null;
}

// The folder's own address (https://host/yoga/) is its index.html.
function keyOf(url) {
  const u = new URL(url);
  if (u.pathname.endsWith("/")) u.pathname += "index.html";
  return u.href;
}

// Network first, so a re-published site shows at once; what was kept is refreshed.
async function fresh(request, event) {
  try {
    const response = await fetch(request);
    if (response.status === 200) {
      const kept = await keptCopy(keyOf(request.url));
      const session = sessionOf(request.url);
      if (kept && kept.name === KEPT && session) {
        event.waitUntil(refreshSession(session));
      } else if (kept) {
        await kept.cache.put(keyOf(request.url), response.clone());
      }
    }
    return response;
  } catch (error) {
    const kept = await keptCopy(keyOf(request.url));
    if (kept) return kept.hit;
    throw error;
  }
}

// A session's files are its page, data and chapters, "<slug>/<length>" + .html, .json,
// .chapters.json; null for any other file.
function sessionOf(url) {
  const u = new URL(url);
  u.search = "";
  u.hash = "";
  const match = /^(.+)\.(?:chapters\.json|json|html)$/.exec(u.href);
  return match ? match[1] : null;
}

const refreshing = new Map();

function refreshSession(base) {
  if (!refreshing.has(base)) {
    refreshing.set(base, updateSession(base).catch(() => {})
      .finally(() => refreshing.delete(base)));
  }
  return refreshing.get(base);
}

// A kept session is refreshed as one: its page, data and chapters are replaced only once
// the audio they name (a new "?v=" after a re-publish) is kept too; then the audio they
// no longer name is let go. Until then the old page and its old audio stay together.
async function updateSession(base) {
  const cache = await caches.open(KEPT);
  const urls = [base + ".html", base + ".json", base + ".chapters.json"];
  const responses = await Promise.all(urls.map((u) => fetch(u, { cache: "no-cache" })));
  if (responses.some((r) => r.status !== 200)) return;
  const data = await responses[1].clone().json();
  const audio = new URL(data.audio, urls[1]).href;
  if (!(await cache.match(audio))) {
    const response = await fetch(audio, { cache: "no-cache" });
    if (response.status !== 200) return;
    await cache.put(audio, response);
  }
  await Promise.all(urls.map((u, i) => cache.put(u, responses[i])));
  for (const key of await cache.keys(audio, { ignoreSearch: true })) {
    if (key.url !== audio) await cache.delete(key);
  }
}

// A Range request (audio) answered from the kept copy, else from the network.
async function ranged(request) {
  const kept = await keptCopy(request.url);
  if (!kept) return fetch(request);
  const blob = await kept.hit.blob();
  const size = blob.size;
  const type = kept.hit.headers.get("Content-Type") || "audio/mpeg";
  const match = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("range").trim());
  // RFC 9110 14.2, as the preview server: an invalid range (5-3) or several are ignored.
  if (!match || (match[1] === "" && match[2] === "") ||
      (match[1] !== "" && match[2] !== "" && Number(match[2]) < Number(match[1]))) {
    return new Response(blob, { status: 200, headers: { "Content-Type": type,
      "Content-Length": String(size), "Accept-Ranges": "bytes" } });
  }
  let start = 0;
  let end = size - 1;
  if (match[1] !== "") {
    start = Number(match[1]);
    if (match[2] !== "") end = Math.min(Number(match[2]), size - 1);
  } else {
    start = Math.max(0, size - Number(match[2]));
  }
  if (start >= size) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}` } });
  }
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    statusText: "Partial Content",
    headers: {
      "Content-Type": type,
      "Content-Range": `bytes ${start}-${end}/${size}`,
      "Content-Length": String(end - start + 1),
      "Accept-Ranges": "bytes",
    },
  });
}

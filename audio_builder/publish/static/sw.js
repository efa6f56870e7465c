// The offline worker. Shell files are kept at install; a session is kept when the
// listener asks ("Keep for offline"). Pages and data come from the network when there
// is one, else from what was kept. Audio asks for byte ranges: a kept MP3 answers them
// from the cache (206 with the right slice), or seeking offline would break.
"use strict";

const SHELL = "ab-shell-v1";
const KEPT = "ab-kept-v1";
const SHELL_FILES = ["index.html", "app.js", "style.css", "icon.svg", "icon-192.png",
  "icon-512.png", "manifest.webmanifest"];

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
  event.respondWith(request.headers.has("range") ? ranged(request) : fresh(request));
});

async function keptCopy(url) {
  for (const name of [KEPT, SHELL]) {
    const cache = await caches.open(name);
    const hit = await cache.match(url, { ignoreVary: true });
    if (hit) return { cache, hit };
  }
  return null;
}

// Network first, so a re-published site shows at once; what was kept is refreshed.
async function fresh(request) {
  try {
    const response = await fetch(request);
    if (response.status === 200) {
      const kept = await keptCopy(request.url);
      if (kept) await kept.cache.put(request.url, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await keptCopy(request.url);
    if (kept) return kept.hit;
    throw error;
  }
}

// A Range request (audio) answered from the kept copy, else from the network.
async function ranged(request) {
  const kept = await keptCopy(request.url);
  if (!kept) return fetch(request);
  const blob = await kept.hit.blob();
  const size = blob.size;
  const match = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("range").trim());
  let start = -1;
  let end = size - 1;
  if (match && match[1] !== "") {
    start = Number(match[1]);
    if (match[2] !== "") end = Math.min(Number(match[2]), size - 1);
  } else if (match && match[2] !== "") {
    start = Math.max(0, size - Number(match[2]));
  }
  if (start < 0 || start >= size || start > end) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}` } });
  }
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    statusText: "Partial Content",
    headers: {
      "Content-Type": kept.hit.headers.get("Content-Type") || "audio/mpeg",
      "Content-Range": `bytes ${start}-${end}/${size}`,
      "Content-Length": String(end - start + 1),
      "Accept-Ranges": "bytes",
    },
  });
}

// The door's service worker (scope /checkin/): the scanner opens with no connection. The
// check-in page is fetched from the network when there is one and from the copy kept here
// when not; the app's hashed files are kept as they come; the door's own files are served
// from here and refreshed behind. Calls to the server are never answered from a cache.
"use strict";

const CACHE = "tickex-door-v1";
const DOOR_FILES = ["/door/door.js", "/door/jsQR.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(DOOR_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function pageFirstFromNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request.url, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request.url);
    if (kept) return kept;
    throw error;
  }
}

/** The kept copy when there is one; `refresh` fetches a newer one behind it for next time. */
async function keptFirst(request, refresh) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  const fetchAndKeep = () => fetch(request).then(async (response) => {
    if (response.ok) await cache.put(request, response.clone());
    return response;
  });
  if (!kept) return fetchAndKeep();
  if (refresh) fetchAndKeep().catch(() => {});
  return kept;
}

// The door page tells which page and app files it runs on (the worker arrived after they
// loaded): keep them now, so the door opens offline from its first visit on.
self.addEventListener("message", (event) => {
  const keep = (event.data?.keep || []).filter((path) => /^\/(checkin|pkg)\//.test(path));
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(keep.map(async (path) => {
    if (await cache.match(path)) return;
    const response = await fetch(path, { credentials: "same-origin" });
    if (response.ok) await cache.put(path, response);
  }))).catch(() => {}));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/checkin/")) {
    event.respondWith(pageFirstFromNetwork(request));
  } else if (url.pathname.startsWith("/pkg/")) {
    event.respondWith(keptFirst(request, false));
  } else if (url.pathname.startsWith("/door/") || url.pathname === "/favicon.svg") {
    event.respondWith(keptFirst(request, true));
  }
});

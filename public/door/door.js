// The door: TickEx's scanner, loaded only by /checkin/<event> so no other page downloads it.
// It keeps the event's public keys and ticket list in IndexedDB, reads QR codes from the
// camera (BarcodeDetector where the browser has it, jsQR otherwise), verifies a pass's
// Ed25519 signature itself, and asks the server while online. Offline it decides from its
// own list and queues each scan (its id and time) until the server takes it: the server
// settles who was first. While online it asks every few seconds what other doors did.
"use strict";

const POLL_MS = 3000;
const REFRESH_MS = 5 * 60 * 1000;
const ASK_TIMEOUT_MS = 4000;
// How long an answer fills the screen: shorter while the camera reads the next ticket.
const ANSWER_MS = 2500;
const ANSWER_TYPED_MS = 4000;
const SAME_CODE_PAUSE_MS = 3000;
const FRAME_MS = 120;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// ---- Reading what was scanned ---------------------------------------------------------

function base64url(text) {
  try {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function codeText(bytes) {
  let bits = 0, held = 0, out = "";
  for (const byte of bytes) {
    bits = ((bits << 8) | byte) & 0xffff;
    held += 8;
    while (held >= 5) {
      held -= 5;
      out += ALPHABET[(bits >> held) & 31];
    }
  }
  return out;
}

/** A pass (`TX1.`), a bare code as typed (spaces, dashes and case forgiven), or null. */
export function readScan(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith("TX1.")) {
    const bytes = base64url(trimmed.slice(4));
    if (!bytes || bytes.length !== 88 || bytes[0] !== 1) return null;
    return {
      kind: "pass",
      keyIndex: bytes[1],
      code: codeText(bytes.subarray(2, 22)),
      issue: (bytes[22] << 8) | bytes[23],
      payload: bytes.slice(0, 24),
      signature: bytes.slice(24),
    };
  }
  const code = trimmed.replace(/[\s-]/g, "").toUpperCase();
  if (code.length === 32 && [...code].every((c) => ALPHABET.includes(c))) {
    return { kind: "code", code };
  }
  return null;
}

/** The door's public keys as CryptoKeys by index; empty where the browser lacks Ed25519. */
async function importKeys(publicKeys) {
  const keys = new Map();
  for (const [index, b64] of publicKeys) {
    try {
      const raw = base64url(b64);
      keys.set(index, await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]));
    } catch {
      return new Map();
    }
  }
  return keys;
}

/** "valid", "forged", "unknown-key", or "unchecked" (no Ed25519 in this browser). */
async function verify(scan, keys) {
  if (scan.kind !== "pass") return "unchecked";
  if (keys.size === 0) return "unchecked";
  const key = keys.get(scan.keyIndex);
  if (!key) return "unknown-key";
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, scan.signature, scan.payload);
  return ok ? "valid" : "forged";
}

// ---- The device's store ----------------------------------------------------------------

function openStore() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open("tickex-door", 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("door", { keyPath: "event_id" });
      db.createObjectStore("ticket", { keyPath: ["event", "code"] }).createIndex("event", "event");
      db.createObjectStore("queue", { keyPath: "scan_id" }).createIndex("event", "event");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

function all(source, query) {
  return new Promise((resolve, reject) => {
    const request = source.getAll(query);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// ---- Asking the server ------------------------------------------------------------------

class Offline extends Error {}

/** The user-facing text of a server function's error body (see `AppError`). */
function errorText(body) {
  if (body === "Forbidden") return "This door is not open to you.";
  if (body === "Unauthenticated") return "Sign in, or open the door link again.";
  if (body && typeof body === "object") {
    const [kind, value] = Object.entries(body)[0] || [];
    if (kind === "NotFound") return "There is no such event.";
    if (typeof value === "string" && ["Validation"].includes(kind)) return value;
  }
  return "The server could not answer; scans are kept on this device.";
}

async function ask(path, body, json) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ASK_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(`/api/door/${path}`, {
      method: "POST",
      headers: { "Content-Type": json ? "application/json" : "application/x-www-form-urlencoded" },
      body: json ? JSON.stringify(body) : new URLSearchParams(
        Object.entries(body).filter(([, v]) => v != null && v !== ""),
      ),
      signal: controller.signal,
      credentials: "same-origin",
    });
  } catch {
    throw new Offline();
  } finally {
    clearTimeout(timer);
  }
  const payload = await response.json().catch(() => null);
  if (response.status >= 500 && response.status !== 503) throw new Offline();
  if (!response.ok) {
    const error = new Error(errorText(payload));
    error.status = response.status;
    throw error;
  }
  return payload;
}

// ---- The page ---------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

function newScanId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

function clock(date = new Date()) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

class Door {
  constructor(root) {
    this.root = root;
    this.event = root.dataset.event;
    this.device = this.deviceToken();
    this.tickets = new Map();
    this.keys = new Map();
    this.revoked = new Set();
    this.meta = null;
    this.queue = [];
    this.online = true;
    this.timers = [];
    this.recent = new Map();
    this.build();
  }

  /** A device link's token: from the address (never sent in a request line) or kept. */
  deviceToken() {
    const key = `tickex-door-device:${this.event}`;
    const fromLink = location.hash.match(/device=([0-9a-f]{64})/);
    if (fromLink) {
      localStorage.setItem(key, fromLink[1]);
      return fromLink[1];
    }
    return localStorage.getItem(key);
  }

  build() {
    this.title = el("h1", {}, "Check-in");
    this.when = el("p", { class: "muted" });
    this.state = el("p", { class: "door-state", "aria-live": "polite" });
    this.counts = el("ul", { class: "metric-grid", "aria-label": "Checked in" });
    this.answer = el("div", { class: "answer-slot" });
    this.video = el("video", { class: "door-video", muted: true, playsinline: true, hidden: true, "aria-label": "Camera" });
    this.cameraButton = el("button", { type: "button", class: "button", onclick: () => this.toggleCamera() }, "Start camera");
    this.timing = el("p", { class: "muted door-timing", "aria-live": "off" });
    const text = el("input", { id: "ticket-text", name: "text", autocomplete: "off", autocapitalize: "characters", required: true });
    const form = el("form", {
      class: "checkin-form",
      onsubmit: (e) => {
        e.preventDefault();
        this.scan(text.value).then(() => { text.value = ""; });
      },
    },
    el("label", { for: "ticket-text" }, "Ticket code or pass"), text,
    el("button", { type: "submit", class: "button" }, "Check in"));
    this.found = el("ul", { class: "holder-list" });
    const search = el("input", { id: "holder-search", type: "search", autocomplete: "off", oninput: (e) => this.search(e.target.value) });
    this.root.replaceChildren(
      el("header", { class: "page-header" }, this.title, this.when, this.state),
      this.counts,
      this.answer,
      el("section", { class: "panel", "aria-labelledby": "camera-heading" },
        el("h2", { id: "camera-heading" }, "Scan with the camera"),
        this.cameraButton, this.video, this.timing),
      el("section", { class: "panel", "aria-labelledby": "scan-heading" },
        el("h2", { id: "scan-heading" }, "Type a ticket"), form),
      el("section", { class: "panel", "aria-labelledby": "find-heading" },
        el("h2", { id: "find-heading" }, "Find by name"),
        el("label", { for: "holder-search" }, "Holder's name"), search, this.found),
    );
  }

  async start() {
    this.db = await openStore();
    await this.loadKept();
    await this.refresh();
    this.every(POLL_MS, () => this.poll());
    this.every(REFRESH_MS, () => this.refresh());
    this.onOnline = () => this.poll();
    window.addEventListener("online", this.onOnline);
  }

  every(ms, task) {
    let busy = false;
    this.timers.push(setInterval(async () => {
      if (busy) return;
      busy = true;
      try { await task(); } finally { busy = false; }
    }, ms));
  }

  stop() {
    this.timers.forEach(clearInterval);
    window.removeEventListener("online", this.onOnline);
    this.stopCamera();
  }

  // -- What the device keeps

  async loadKept() {
    const tx = this.db.transaction(["door", "ticket", "queue"]);
    const [meta] = await all(tx.objectStore("door"), this.event);
    const tickets = await all(tx.objectStore("ticket").index("event"), this.event);
    this.queue = await all(tx.objectStore("queue").index("event"), this.event);
    this.queue.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
    if (meta) {
      this.tickets = new Map(tickets.map((t) => [t.code, t]));
      await this.takeMeta(meta);
      this.show(`Working from this device's copy of ${meta.saved}.`);
    }
  }

  async takeMeta(meta) {
    this.meta = meta;
    this.revoked = new Set(meta.revoked || []);
    this.keys = await importKeys(meta.public_keys);
    this.title.textContent = `Check-in: ${meta.event_title}`;
    this.when.textContent = `${meta.when} · You are ${meta.door}`;
    this.renderCounts();
  }

  /** The whole list from the server, replacing the kept one. */
  async refresh() {
    let data;
    try {
      data = await ask("get", { event_id: this.event, device: this.device });
    } catch (error) {
      return this.failed(error);
    }
    const { tickets, ...meta } = data;
    meta.saved = clock();
    this.tickets = new Map(tickets.map((t) => [t.code, { ...t, event: this.event }]));
    const tx = this.db.transaction(["door", "ticket"], "readwrite");
    const store = tx.objectStore("ticket");
    const old = await all(store.index("event"), this.event);
    old.forEach((t) => store.delete([this.event, t.code]));
    this.tickets.forEach((t) => store.put(t));
    tx.objectStore("door").put(meta);
    await done(tx);
    await this.takeMeta(meta);
    this.connected();
  }

  /** Sends what is queued, then asks what other doors did. */
  async poll() {
    if (!this.meta) return this.refresh();
    try {
      if (this.queue.length) await this.sync();
      const changes = await ask("changes", { event_id: this.event, device: this.device, cursor: this.meta.cursor });
      await this.apply(changes);
      this.connected();
    } catch (error) {
      this.failed(error);
    }
  }

  async sync() {
    const batch = this.queue.slice(0, 500);
    const scans = batch.map(({ scan_id, text, scanned_at }) => ({ scan_id, text, scanned_at }));
    const answers = await ask("sync", { event_id: this.event, device: this.device, scans }, true);
    const tx = this.db.transaction("queue", "readwrite");
    answers.forEach((a) => tx.objectStore("queue").delete(a.scan_id));
    await done(tx);
    const synced = new Set(answers.map((a) => a.scan_id));
    this.queue = this.queue.filter((s) => !synced.has(s.scan_id));
  }

  async apply(changes) {
    const tx = this.db.transaction(["door", "ticket"], "readwrite");
    for (const t of changes.tickets) {
      const kept = { ...t, event: this.event };
      this.tickets.set(t.code, kept);
      tx.objectStore("ticket").put(kept);
    }
    for (const code of changes.revoked) {
      this.revoked.add(code);
      const t = this.tickets.get(code);
      if (t && t.status !== "void") {
        t.status = "void";
        tx.objectStore("ticket").put(t);
      }
    }
    this.meta = { ...this.meta, counts: changes.counts, cursor: changes.cursor, revoked: [...this.revoked], saved: clock() };
    tx.objectStore("door").put(this.meta);
    await done(tx);
    this.renderCounts();
  }

  connected() {
    this.online = true;
    this.showQueue();
  }

  failed(error) {
    if (error instanceof Offline) {
      this.online = false;
      this.showQueue();
    } else {
      this.show(error.message, true);
    }
  }

  show(text, alarming = false) {
    this.state.textContent = text;
    this.state.classList.toggle("door-state-alarm", alarming);
  }

  showQueue() {
    const waiting = this.queue.length;
    const queued = waiting === 0 ? "" : ` · ${waiting} ${waiting === 1 ? "scan" : "scans"} waiting to sync`;
    this.show(this.online
      ? `Online${queued}`
      : `Offline: checking in from this device's list${queued}`);
  }

  renderCounts() {
    const counts = (this.meta?.counts || []).map((c) => ({ ...c }));
    // Offline admissions not yet synced count too.
    for (const scan of this.queue) {
      const c = counts.find((c) => c.ticket_type === scan.ticket_type);
      if (c && scan.admitted) c.checked_in += 1;
    }
    this.counts.replaceChildren(...counts.map((c) => el("li", { class: "panel metric", "data-metric": c.ticket_type },
      el("span", { class: "metric-label" }, c.ticket_type),
      el("strong", { class: "metric-value" }, `${Math.min(c.checked_in, c.sold)} / ${c.sold}`))));
  }

  search(value) {
    const needle = value.trim().toLowerCase();
    const found = needle.length < 2 ? [] : [...this.tickets.values()]
      .filter((t) => t.holder.toLowerCase().includes(needle)).slice(0, 20);
    this.found.replaceChildren(...found.map((t) => {
      const state = t.status === "void" ? "refunded" : t.checked_in ? `checked in ${t.checked_in}` : "not checked in";
      return el("li", {},
        el("span", {}, `${t.holder} · ${t.ticket_type} · `, el("span", { class: "muted" }, state)),
        el("button", { type: "button", class: "button-secondary", "aria-label": `Check in ${t.holder}`, onclick: () => this.scan(t.code) }, "Check in"));
    }));
  }

  // -- A scan

  async scan(text) {
    const scan_id = newScanId();
    const scanned_at = new Date().toISOString();
    let answer;
    try {
      answer = await ask("check_in", { event_id: this.event, device: this.device, scan_id, text, scanned_at: null });
      this.connected();
      this.poll();
    } catch (error) {
      if (!(error instanceof Offline)) {
        answer = { result: "refused", message: error.message };
      } else {
        this.online = false;
        answer = await this.decideHere({ scan_id, text, scanned_at });
      }
    }
    this.tell(answer);
    return answer;
  }

  /** Offline: the device's own answer from its list; an admission is queued for the server. */
  async decideHere(scan) {
    const read = readScan(scan.text);
    if (!read) return { result: "refused", message: "This is not a TickEx ticket." };
    const signature = await verify(read, this.keys);
    if (signature === "forged") return { result: "refused", message: "This ticket's signature is not valid: it was altered or forged." };
    if (this.revoked.has(read.code)) return { result: "refused", message: "refunded, cancelled or transferred to someone else" };
    const ticket = this.tickets.get(read.code);
    // A key made after this device's last refresh: the list still knows the ticket.
    if (signature === "unknown-key" && !ticket) return { result: "refused", message: "This ticket was signed with a key this door does not know yet." };
    if (!ticket && !(read.kind === "pass" && signature === "valid")) {
      return { result: "refused", message: "Not on this door's list (offline)." };
    }
    const who = ticket ? { holder: ticket.holder, ticket_type: ticket.ticket_type } : {};
    if (ticket?.status === "void") return { ...who, result: "refused", message: "refunded or cancelled" };
    if (ticket && read.kind === "pass" && read.issue < ticket.issue) return { ...who, result: "refused", message: "replaced by a newer ticket" };
    if (ticket?.checked_in) return { ...who, result: "duplicate", message: `Already checked in at ${ticket.checked_in}` };
    const queued = { ...scan, event: this.event, admitted: true, ticket_type: ticket?.ticket_type };
    const kept = ticket && { ...ticket, status: "checked_in", checked_in: `${clock()} by ${this.meta?.door || "this door"} (not synced yet)` };
    const tx = this.db.transaction(["queue", "ticket"], "readwrite");
    tx.objectStore("queue").put(queued);
    if (kept) tx.objectStore("ticket").put(kept);
    await done(tx);
    if (kept) this.tickets.set(read.code, kept);
    this.queue.push(queued);
    this.showQueue();
    this.renderCounts();
    return { ...who, result: "admitted", message: "Admitted offline: it syncs when the connection is back." };
  }

  tell(answer) {
    const who = answer.holder && answer.ticket_type ? `${answer.holder} · ${answer.ticket_type}` : "";
    const [kind, title] = {
      admitted: ["admitted", "Admitted"],
      duplicate: ["duplicate", answer.message],
      refused: ["refused", `Refused: ${answer.message}`],
    }[answer.result] || ["refused", answer.message];
    const detail = answer.result === "admitted" && !this.online ? `${who} · ${answer.message}` : who;
    const panel = el("div", { class: `answer answer-${kind}`, role: "status", "aria-live": "assertive", onclick: () => panel.remove() },
      el("p", { class: "answer-title" }, title),
      el("p", { class: "answer-detail" }, detail));
    this.answer.replaceChildren(panel);
    clearTimeout(this.answerTimer);
    this.answerTimer = setTimeout(() => panel.remove(), this.stream ? ANSWER_MS : ANSWER_TYPED_MS);
  }

  // -- The camera

  async toggleCamera() {
    if (this.stream) return this.stopCamera();
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      return this.show("The camera could not be opened: allow it in the browser, or type the code.", true);
    }
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    await this.video.play().catch(() => {});
    this.cameraButton.textContent = "Stop camera";
    this.decoder = await this.makeDecoder();
    this.frame();
  }

  stopCamera() {
    clearTimeout(this.frameTimer);
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.hidden = true;
    this.cameraButton.textContent = "Start camera";
  }

  /** BarcodeDetector where the browser has one for QR codes; jsQR (loaded now) otherwise. */
  async makeDecoder() {
    if ("BarcodeDetector" in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats().catch(() => []);
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return { name: "BarcodeDetector", read: async (video) => (await detector.detect(video))[0]?.rawValue };
      }
    }
    if (!window.jsQR) {
      await new Promise((resolve, reject) => {
        document.head.append(el("script", { src: "/door/jsQR.js", onload: resolve, onerror: reject }));
      });
    }
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return {
      name: "jsQR",
      read: async (video) => {
        const scale = Math.min(1, 640 / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        const image = context.getImageData(0, 0, canvas.width, canvas.height);
        return window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" })?.data;
      },
    };
  }

  async frame() {
    if (!this.stream) return;
    if (this.video.readyState >= 2 && this.video.videoWidth > 0) {
      const started = performance.now();
      const text = await this.decoder.read(this.video).catch(() => null);
      if (text) {
        const decoded = performance.now();
        const read = readScan(text);
        if (read) await verify(read, this.keys);
        this.measured(decoded - started, performance.now() - decoded);
        const last = this.recent.get(text);
        if (!last || Date.now() - last > SAME_CODE_PAUSE_MS) {
          this.recent.set(text, Date.now());
          await this.scan(text);
          this.recent.set(text, Date.now());
        }
      }
    }
    this.frameTimer = setTimeout(() => this.frame(), FRAME_MS);
  }

  /** The time to read one frame and check its signature, shown and kept for the README. */
  measured(decodeMs, verifyMs) {
    this.timing.dataset.decodeMs = decodeMs.toFixed(1);
    this.timing.dataset.verifyMs = verifyMs.toFixed(2);
    this.timing.textContent = `${this.decoder.name}: read a frame in ${decodeMs.toFixed(0)} ms, checked the signature in ${verifyMs.toFixed(1)} ms`;
  }
}

/** This page and the app files it loaded: what the worker keeps so the door opens offline. */
function pageFiles() {
  const files = performance.getEntriesByType("resource")
    .map((entry) => new URL(entry.name))
    .filter((url) => url.origin === location.origin && url.pathname.startsWith("/pkg/"))
    .map((url) => url.pathname);
  return [location.pathname, ...new Set(files)];
}

let current = null;

/** Opens the door in `#door` (the check-in page calls this after each render of it). */
export function mount() {
  const root = document.getElementById("door");
  if (!root || root === current?.root) return;
  current?.stop();
  current = new Door(root);
  current.start().catch((error) => current.show(`The door could not start: ${error.message}`, true));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/door/sw.js", { scope: "/checkin/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => registration.active?.postMessage({ keep: pageFiles() }))
      .catch(() => {});
  }
}

export function unmount() {
  current?.stop();
  current = null;
}

window.tickexDoor = { mount, unmount };
mount();

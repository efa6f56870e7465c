// The studio's page: the session as a form over its YAML (the server applies every edit
// with a round-trip YAML library), what `check` says shown at its cue, any cue heard or
// recorded at once, the timeline of each length, render and publish with progress.
// Script text is only ever set as text (textContent, value), never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  name: null, text: "", version: null, model: null, saved: "", lengths: [],
  findings: [], chain: Promise.resolve(), pending: [], timer: null, checkTimer: null,
};
const KEEP = (name) => `studio:unsaved:${name}`;

async function api(path, body, method) {
  const init = { method: method || (body === undefined ? "GET" : "POST"), headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const type = r.headers.get("content-type") || "";
  const data = type.includes("json") ? await r.json() : await r.blob();
  if (!r.ok) {
    const err = new Error((data && data.error) || `the studio answered ${r.status}`);
    err.status = r.status;
    err.data = data;
    throw err;
  }
  return data;
}

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") e.textContent = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === "data") for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function banner(message) {
  const b = $("banner");
  b.hidden = !message;
  b.textContent = message || "";
}

// -- sessions -----------------------------------------------------------------------
async function loadSessions() {
  const data = await api("/api/sessions");
  $("folder").textContent = data.folder;
  const list = $("sessions");
  list.replaceChildren();
  const from = $("new-from");
  from.replaceChildren(el("option", { value: "", text: "a short, gentle template" }));
  for (const s of data.sessions) {
    const b = el("button", { type: "button", class: "session", data: { name: s.name },
      on: { click: () => openSession(s.name) } },
      el("span", { class: "name", text: s.title }),
      el("span", { class: "meta", text: `${s.name} · ${s.lengths.join(", ")}` }));
    if (s.name === state.name) b.classList.add("current");
    list.append(el("li", {}, b));
    from.append(el("option", { value: s.name, text: `a copy of ${s.title}` }));
  }
  return data.sessions;
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
}

$("new-session").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const title = $("new-title").value.trim();
  const name = `${slug(title) || "session"}.yaml`;
  try {
    await api("/api/sessions", { name, title, copy_of: $("new-from").value || null });
    $("new-error").textContent = "";
    $("new-title").value = "";
    await loadSessions();
    await openSession(name);
  } catch (e) {
    $("new-error").textContent = e.message;
  }
});

async function openSession(name) {
  const data = await api(`/api/session/${encodeURIComponent(name)}`);
  state.name = name;
  state.version = data.version;
  state.saved = data.text;
  state.text = data.text;
  state.model = data.model;
  const kept = JSON.parse(localStorage.getItem(KEEP(name)) || "null");
  if (kept && kept.text !== data.text) {
    state.text = kept.text;
    if (kept.version !== data.version) {
      banner("Your unsaved edits are restored, but the file changed on disk since: saving " +
             "will be refused. Copy what you need, then reload.");
      state.version = kept.version;
    } else {
      banner("Your unsaved edits from before are restored. Save keeps them.");
    }
  } else {
    banner(data.model_error || "");
  }
  $("editor").hidden = false;
  $("doc-name").textContent = name;
  $("yaml").value = state.text;
  for (const b of document.querySelectorAll(".session")) {
    b.classList.toggle("current", b.dataset.name === name);
  }
  $("result").hidden = true;
  showSaveState();
  await check();
  renderForm();
}

// -- editing: every change is an edit of the YAML, applied by the server ---------------
function dirty() { return state.text !== state.saved; }

function showSaveState() {
  $("save-state").textContent = dirty() ? "unsaved changes" : "saved";
  $("save").disabled = !dirty();
  if (state.name) {
    if (dirty()) localStorage.setItem(KEEP(state.name),
      JSON.stringify({ text: state.text, version: state.version }));
    else localStorage.removeItem(KEEP(state.name));
  }
}

function edit(op, now) {
  state.pending.push(op);
  clearTimeout(state.timer);
  if (now) return flush();
  state.timer = setTimeout(flush, 300);
  return state.chain;
}

function flush() {
  const ops = state.pending.splice(0);
  if (!ops.length) return state.chain;
  state.chain = state.chain.then(async () => {
    try {
      const data = await api("/api/edit", { text: state.text, ops });
      state.text = data.text;
      state.model = data.model;
      $("yaml").value = state.text;
      banner("");
    } catch (e) {
      banner(e.message);
    }
    showSaveState();
    scheduleCheck();
  });
  return state.chain;
}

function scheduleCheck() {
  clearTimeout(state.checkTimer);
  state.checkTimer = setTimeout(check, 250);
}

async function check() {
  const text = state.text;
  let data;
  try {
    data = await api("/api/check", { name: state.name, text });
  } catch (e) {
    banner(e.message);
    return;
  }
  if (text !== state.text) return; // an older text: the next check will tell
  if (data.model) state.model = data.model;
  state.findings = data.findings;
  state.lengths = data.lengths;
  showFindings();
  showTiming();
  const error = data.findings.some((f) => f.level === "error");
  $("render").disabled = error;
  $("publish").disabled = error;
  $("render").title = error ? "Fix the error first" : "";
}

// where a line of the script is shown in the form
function placeOf(line) {
  const m = state.model;
  if (!m || !line) return null;
  const key = (path) => JSON.stringify(path);
  for (const part of ["intro", "outro"]) {
    for (const [j, c] of m[part].entries()) if (c.line === line) return key([part, j]);
  }
  for (const [k, f] of Object.entries(m.lines)) {
    if (f === line && ["title", "author", "description"].includes(k)) return key([k]);
  }
  let best = null;
  for (const [i, p] of m.poses.entries()) {
    for (const [j, mv] of (p.movements || []).entries()) {
      for (const [k, c] of mv.cues.entries()) {
        if (c.line === line) return key(["poses", i, "movements", j, "cues", k]);
      }
    }
    for (const [j, c] of p.cues.entries()) if (c.line === line) return key(["poses", i, "cues", j]);
    if (p.switch && p.switch.line === line) return key(["poses", i, "switch"]);
    for (const [k, f] of Object.entries(p.lines || {})) {
      if (f === line && k !== "cues") return key(["poses", i, k]);
    }
    if (p.line && p.line <= line) best = key(["poses", i, "name"]);
  }
  return best;
}

function showFindings() {
  for (const old of document.querySelectorAll(".finding")) old.remove();
  for (const f of document.querySelectorAll(".has-error,.has-warning")) {
    f.classList.remove("has-error", "has-warning");
  }
  const top = $("top-findings");
  top.replaceChildren();
  for (const f of state.findings) {
    const where = placeOf(f.line);
    const field = where && document.querySelector(`[data-path='${where}']`);
    const note = el("p", { class: `finding ${f.level}`, role: "alert",
      text: `${f.level}: ${f.message}` });
    if (field) {
      field.closest(".field").append(note);
      field.closest(".field").classList.add(`has-${f.level}`);
    } else {
      top.append(el("li", { class: `finding ${f.level}`,
        text: `${f.level}: ${f.line ? `line ${f.line}: ` : ""}${f.message}` }));
    }
  }
}

function showTiming() {
  const pick = $("length");
  const chosen = pick.value || "full";
  pick.replaceChildren();
  for (const l of state.lengths) {
    pick.append(el("option", { value: l.name, text: l.error ? `${l.name} (cannot)` :
      `${l.name} · ${l.total}` }));
  }
  pick.value = state.lengths.some((l) => l.name === chosen) ? chosen : "full";
  const l = state.lengths.find((x) => x.name === pick.value);
  $("length-timeline").replaceChildren();
  if (!l) { $("length-total").textContent = ""; $("length-note").textContent = ""; return; }
  if (l.error) {
    $("length-total").textContent = "";
    $("length-note").textContent = l.error;
    return;
  }
  $("length-total").textContent = l.total;
  const notes = [];
  if (l.dropped.length) notes.push(`This length leaves out: ${l.dropped.join(", ")}.`);
  if (l.estimated) notes.push(`${l.estimated} cue${l.estimated > 1 ? "s are" : " is"} not ` +
    "spoken yet: timed from their words until heard or rendered.");
  $("length-note").textContent = notes.join(" ");
  // the published page's own picture, drawn by the server from its template (escaped)
  const tpl = document.createElement("template");
  tpl.innerHTML = l.timeline;
  $("length-timeline").append(tpl.content);
}
$("length").addEventListener("change", showTiming);

// -- the form -------------------------------------------------------------------------
function pathKey(path) { return JSON.stringify(path); }

function input(path, value, label, opts) {
  const o = opts || {};
  const field = o.multiline ?
    el("textarea", { rows: 2, "aria-label": label, data: { path: pathKey(path) } }) :
    el("input", { type: o.type || "text", "aria-label": label, data: { path: pathKey(path) },
      placeholder: o.placeholder || null });
  if (o.type === "checkbox") field.checked = !!value;
  else field.value = value === null || value === undefined ? "" : value;
  field.addEventListener(o.type === "checkbox" ? "change" : "input", () => {
    let v = o.type === "checkbox" ? (field.checked || null) : field.value;
    if (o.number) v = v === "" ? null : Number(v);
    if (o.type !== "checkbox" && v === "" && o.optional) v = null;
    if (o.cue) v = cueValue(o.cue, field.value);
    edit({ op: "set", path, value: v });
  });
  return el("label", { class: "field" }, el("span", { class: "label", text: label }), field);
}

function cueValue(cue, text) {
  return cue.recording ? { recording: cue.recording, text } : text;
}

function cueLabel(path) {
  const m = state.model;
  if (path[0] !== "poses") return `${path[0]}-${path[1] + 1}`;
  const pose = m.poses[path[1]];
  if (path[2] === "movements") {
    return `${pose.flow || "flow"}-${pose.movements[path[3]].name || path[3] + 1}-${path[5] + 1}`;
  }
  return `${pose.name || "pose"}-${path[2] === "switch" ? "switch" : path[3] + 1}`;
}

function takeBase(path) {
  return slug(`${state.name.replace(/\.yaml$/, "")} ${cueLabel(path)}`).slice(0, 50)
    .replace(/-+$/, "") || "cue";
}

function cueRow(path, cue, listPath, index, count) {
  const box = input(path, cue.text, "Cue", { multiline: true, cue });
  box.classList.add("cue");
  const tools = el("span", { class: "tools" },
    el("button", { type: "button", class: "hear", title: "Hear this cue", text: "▶ Hear",
      on: { click: (ev) => hearCue(path, ev.target) } }),
    el("button", { type: "button", class: "record", title: "Record this cue in your voice",
      text: "● Record", on: { click: () => startPrompter(path) } }),
    el("button", { type: "button", class: "proof", title: "Hear it as a listener would: " +
      "an offline recogniser writes down what it hears", text: "✓ Proof",
      on: { click: (ev) => proofCue(path, ev.target) } }));
  if (listPath) {
    tools.append(
      el("button", { type: "button", title: "Move up", text: "↑", disabled: index === 0,
        on: { click: () => structural({ op: "move", path: [...listPath, index], to: index - 1 }) } }),
      el("button", { type: "button", title: "Move down", text: "↓", disabled: index === count - 1,
        on: { click: () => structural({ op: "move", path: [...listPath, index], to: index + 1 }) } }),
      el("button", { type: "button", title: "Remove this cue", text: "✕",
        on: { click: () => structural({ op: "remove", path: [...listPath, index] }) } }));
  }
  box.append(tools);
  if (cue.recording) {
    const rec = el("p", { class: "recorded" },
      el("span", { text: `Recorded: ${cue.recording} ` }),
      el("audio", { controls: true, preload: "none",
        src: `/files/sounds/${encodeURIComponent(cue.recording)}.wav` }),
      el("button", { type: "button", text: "Use the synthetic voice",
        on: { click: () => structural({ op: "set", path, value: cue.text }) } }));
    box.append(rec);
    showTakes(path, cue, rec);
  }
  return box;
}

async function showTakes(path, cue, where) {
  const base = takeBase(path);
  const data = await api(`/api/takes/${base}`);
  if (data.takes.length < 2) return;
  const pick = el("select", { "aria-label": "Takes", class: "takes" });
  for (const t of data.takes) {
    pick.append(el("option", { value: t.name, text: `${t.name} (${t.seconds.toFixed(1)}s)` }));
  }
  pick.value = cue.recording;
  pick.addEventListener("change", () => structural({ op: "set", path,
    value: { recording: pick.value, text: cue.text } }));
  const discard = el("button", { type: "button", text: "Discard other takes", on: { click: async () => {
    await saveNow();
    for (const t of data.takes) {
      if (t.name !== cue.recording) {
        await api(`/api/takes/${base}`, { take: t.name, name: state.name }, "DELETE");
      }
    }
    renderForm();
  } } });
  where.append(pick, discard);
}

function cueList(listPath, cues, title) {
  const sec = el("section", { class: "cues" }, el("h3", { text: title }));
  cues.forEach((c, j) => sec.append(cueRow([...listPath, j], c, listPath, j, cues.length)));
  sec.append(el("button", { type: "button", class: "add", text: "+ Add a cue",
    on: { click: () => structural({ op: "insert", path: [...listPath, cues.length],
      value: "" }) } }));
  return sec;
}

const SIDES = { "": "one side", "right, left": "right, then left", "left, right": "left, then right" };

function flowCard(p, i, count) {
  const base = ["poses", i];
  const card = el("article", { class: "pose flow" },
    el("header", {},
      input([...base, "flow"], p.flow, "Flow"),
      el("span", { class: "tools" },
        el("button", { type: "button", title: "Move up", text: "↑", disabled: i === 0,
          on: { click: () => structural({ op: "move", path: ["poses", i], to: i - 1 }) } }),
        el("button", { type: "button", title: "Move down", text: "↓", disabled: i === count - 1,
          on: { click: () => structural({ op: "move", path: ["poses", i], to: i + 1 }) } }),
        el("button", { type: "button", title: "Remove this flow", text: "Remove",
          on: { click: () => structural({ op: "remove", path: ["poses", i] }) } }))),
    el("div", { class: "row" },
      input([...base, "rounds"], p.rounds, "Rounds", { placeholder: "3..5" })));
  p.movements.forEach((m, j) => {
    const mb = [...base, "movements", j];
    card.append(el("div", { class: "row" },
      input([...mb, "name"], m.name, "Movement"),
      input([...mb, "breath"], m.breath, "Breath", { placeholder: "in, out, 2 breaths" })),
    cueList([...mb, "cues"], m.cues, "Cues (one per round; the last repeats)"));
  });
  return card;
}

function poseCard(p, i, count) {
  if (p.flow !== undefined) return flowCard(p, i, count);
  const base = ["poses", i];
  const sides = el("select", { "aria-label": "Sides", data: { path: pathKey([...base, "sides"]) } });
  for (const [v, t] of Object.entries(SIDES)) sides.append(el("option", { value: v, text: t }));
  sides.value = p.sides in SIDES ? p.sides : "";
  sides.addEventListener("change", () => structural({ op: "set", path: [...base, "sides"],
    value: sides.value ? sides.value.split(", ") : null }));
  const card = el("article", { class: "pose" },
    el("header", {},
      input([...base, "name"], p.name, "Pose"),
      el("span", { class: "tools" },
        el("button", { type: "button", title: "Move up", text: "↑", disabled: i === 0,
          on: { click: () => structural({ op: "move", path: ["poses", i], to: i - 1 }) } }),
        el("button", { type: "button", title: "Move down", text: "↓", disabled: i === count - 1,
          on: { click: () => structural({ op: "move", path: ["poses", i], to: i + 1 }) } }),
        el("button", { type: "button", title: "Remove this pose", text: "Remove",
          on: { click: () => structural({ op: "remove", path: ["poses", i] }) } }))),
    el("div", { class: "row" },
      el("label", { class: "field" }, el("span", { class: "label", text: "Sides" }), sides),
      input([...base, "hold"], p.hold, "Hold", { optional: true, placeholder: "4..8 breaths, 1m..3m" }),
      input([...base, "optional"], p.optional, "Optional", { type: "checkbox" }),
      input([...base, "priority"], p.priority, "Priority", { type: "number", number: true, optional: true })),
    cueList([...base, "cues"], p.cues, "Cues"));
  if (p.sides) {
    const sw = p.switch || { text: "", recording: null };
    if (p.switch) card.append(cueRow([...base, "switch"], sw));
    else card.append(input([...base, "switch"], "", "Switch sides", { optional: true, multiline: true }));
  }
  return card;
}

function renderForm() {
  const m = state.model;
  const form = $("form");
  form.replaceChildren();
  if (!m) return;
  form.append(
    el("section", { class: "about" },
      input(["title"], m.title, "Title"),
      input(["author"], m.author, "Teacher", { optional: true }),
      input(["description"], m.description, "Description", { optional: true, multiline: true })),
    cueList(["intro"], m.intro, "Welcome"));
  const poses = el("section", { class: "poses" }, el("h3", { text: "Poses" }));
  m.poses.forEach((p, i) => poses.append(poseCard(p, i, m.poses.length)));
  poses.append(el("button", { type: "button", class: "add", text: "+ Add a pose",
    on: { click: () => structural({ op: "insert", path: ["poses", m.poses.length],
      value: { name: "New pose", hold: "4..8 breaths", cues: ["When you're ready, ..."] } }) } }));
  form.append(poses, cueList(["outro"], m.outro, "Closing"));
  showFindings();
}

async function structural(op) {
  await edit(op, true);
  renderForm();
}

$("yaml").addEventListener("input", () => {
  state.text = $("yaml").value;
  showSaveState();
  scheduleCheck();
});

$("toggle-text").addEventListener("click", async () => {
  await flush();
  const showText = $("yaml").hidden;
  $("yaml").hidden = !showText;
  $("form").hidden = showText;
  $("toggle-text").textContent = showText ? "Form view" : "Text view";
  if (!showText) { await check(); renderForm(); }
});

// -- saving: refused, never merged, when the file moved on ------------------------------
async function saveNow() {
  await flush();
  if (!dirty()) return true;
  try {
    const data = await api(`/api/session/${encodeURIComponent(state.name)}`,
      { text: state.text, version: state.version }, "PUT");
    state.version = data.version;
    state.saved = state.text;
    banner("");
    showSaveState();
    loadSessions();
    return true;
  } catch (e) {
    banner(e.data && e.data.conflict ? `${e.message}` : `Not saved: ${e.message}`);
    $("save-state").textContent = e.data && e.data.conflict ? "not saved: changed on disk" :
      "not saved";
    return false;
  }
}
$("save").addEventListener("click", saveNow);
document.addEventListener("keydown", (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") { ev.preventDefault(); saveNow(); }
});

// -- hearing --------------------------------------------------------------------------
const player = new Audio();
async function hearCue(path, button) {
  await flush();
  button.disabled = true;
  const started = performance.now();
  try {
    const wav = await api("/api/hear", { name: state.name, text: state.text, where: path,
      voice: $("voice").value || null });
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(wav);
    player.dataset.ms = String(Math.round(performance.now() - started));
    await player.play().catch(() => {});
    scheduleCheck(); // its speech is cached now: the timeline is exact for it
  } catch (e) {
    banner(e.message);
  } finally {
    button.disabled = false;
  }
}
window.studioPlayer = player;

// -- proof: the cue heard by an offline recogniser, words heard otherwise marked ----------
async function proofCue(path, button) {
  await flush();
  const box = button.closest(".field");
  for (const old of box.querySelectorAll(".proofed")) old.remove();
  button.disabled = true;
  const out = el("div", { class: "proofed", role: "status", text: "listening…" });
  box.append(out);
  try {
    const data = await api("/api/proof", { name: state.name, text: state.text, where: path });
    out.replaceChildren();
    for (const s of data.sentences) {
      const p = el("p", { class: s.errors ? "heard differs" : "heard same" });
      if (!s.errors) p.textContent = `✓ heard as written: ${s.text}`;
      else {
        p.append(el("span", { text: `heard otherwise: ${s.marked} ` }),
          el("span", { class: "meta", text: `(heard: “${s.heard}”)` }));
        for (const g of s.suggestions) {
          p.append(el("span", { class: "try", text: g.respelling === null ?
            ` try: say “${g.word}” as written (remove it from pronounce:)` :
            ` try: pronounce: {${g.word}: ${g.respelling}}` }));
        }
      }
      out.append(p);
    }
    if (!data.sentences.length) out.textContent = "nothing to hear in this cue";
  } catch (e) {
    out.textContent = `proof: ${e.message}`;
  } finally {
    button.disabled = false;
  }
}

async function loadVoices() {
  const data = await api("/api/voices");
  for (const v of data.voices) {
    $("voice").append(el("option", { value: v.voice, text: `${v.voice} (${v.engine})` }));
  }
}

// -- recording: a teleprompter, cue after cue, the space bar moves on -----------------------
const rec = { stream: null, recorder: null, chunks: [], path: null, order: [] };

function allCuePaths() {
  const m = state.model;
  const out = m.intro.map((_, j) => ["intro", j]);
  m.poses.forEach((p, i) => {
    (p.movements || []).forEach((mv, j) =>
      mv.cues.forEach((_, k) => out.push(["poses", i, "movements", j, "cues", k])));
    p.cues.forEach((_, j) => out.push(["poses", i, "cues", j]));
    if (p.switch) out.push(["poses", i, "switch"]);
  });
  m.outro.forEach((_, j) => out.push(["outro", j]));
  return out;
}

function cueAt(path) {
  const m = state.model;
  if (path[0] !== "poses") return m[path[0]][path[1]];
  const p = m.poses[path[1]];
  if (path[2] === "movements") return p.movements[path[3]].cues[path[5]];
  return path[2] === "switch" ? p.switch : p.cues[path[3]];
}

async function startPrompter(path) {
  await flush();
  try {
    rec.stream = rec.stream || await navigator.mediaDevices.getUserMedia({ audio: {
      echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  } catch (e) {
    banner(`The microphone is not available: ${e.message}`);
    return;
  }
  rec.order = allCuePaths();
  $("prompter").hidden = false;
  recordCue(path);
}

function recordCue(path) {
  rec.path = path;
  rec.chunks = [];
  $("prompter-text").textContent = cueAt(path).text.replace(/\[[^\]]*\]/g, " ").trim();
  $("prompter-state").textContent = `● recording · ${cueLabel(path)}`;
  rec.recorder = new MediaRecorder(rec.stream);
  rec.recorder.ondataavailable = (ev) => { if (ev.data.size) rec.chunks.push(ev.data); };
  rec.recorder.start();
}

function stopRecording() {
  return new Promise((resolve) => {
    rec.recorder.onstop = () => resolve(new Blob(rec.chunks, { type: rec.recorder.mimeType }));
    rec.recorder.stop();
  });
}

async function keepTake(path, blob) {
  const base = takeBase(path);
  const r = await fetch(`/api/record/${base}`, { method: "POST", body: blob,
    headers: { "Content-Type": blob.type || "audio/webm" } });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || "the take was not kept");
  const cue = cueAt(path);
  await edit({ op: "set", path, value: { recording: data.take.name, text: cue.text } }, true);
  return data.take;
}

async function prompterKey(ev) {
  if ($("prompter").hidden || !rec.recorder || rec.recorder.state !== "recording") return;
  if (ev.key !== " " && ev.key !== "Escape") return;
  ev.preventDefault();
  const path = rec.path;
  const blob = await stopRecording();
  const at = rec.order.findIndex((p) => pathKey(p) === pathKey(path));
  const next = ev.key === " " ? rec.order[at + 1] : null;
  $("prompter-state").textContent = "keeping the take…";
  try {
    await keepTake(path, blob);
  } catch (e) {
    banner(`${cueLabel(path)}: ${e.message}`);
  }
  if (next) recordCue(next);
  else {
    $("prompter").hidden = true;
    await saveNow();
    renderForm();
  }
}
document.addEventListener("keydown", prompterKey);

// -- render and publish ---------------------------------------------------------------
async function runJob(kind) {
  if (!(await saveNow())) return;
  $("render").disabled = $("publish").disabled = true;
  const bar = $("job-progress");
  bar.hidden = false;
  let job;
  try {
    job = await api("/api/jobs", { kind, name: state.name, length: $("length").value || "full" });
    while (job.state === "running") {
      bar.max = job.total || 1;
      bar.value = job.done;
      $("job-state").textContent = `${job.stage}…`;
      await new Promise((r) => setTimeout(r, 400));
      job = await api(`/api/jobs/${job.id}`);
    }
  } catch (e) {
    job = { state: "failed", message: e.message };
  }
  bar.hidden = true;
  $("render").disabled = $("publish").disabled = false;
  if (job.state === "failed") {
    $("job-state").textContent = `error: ${job.message}`;
    return;
  }
  $("job-state").textContent = kind === "render" ?
    `Rendered in ${job.seconds}s: ${job.result.summary}` : `Published in ${job.seconds}s`;
  showResult(kind, job.result);
  check(); // every cue is spoken now: the timeline is exact
}
$("render").addEventListener("click", () => runJob("render"));
$("publish").addEventListener("click", () => runJob("publish"));

function showResult(kind, result) {
  $("result").hidden = false;
  const audio = $("result-audio");
  const list = $("result-chapters");
  list.replaceChildren();
  $("result-links").replaceChildren();
  if (kind === "publish") {
    audio.hidden = true;
    $("result-links").append(el("a", { href: result.page, target: "_blank", text: "Open the published page" }),
      document.createTextNode(" · "), el("a", { href: result.index, target: "_blank", text: "the site's index" }));
    return;
  }
  audio.hidden = false;
  audio.src = `${result.audio}?t=${Date.now()}`;
  for (const c of result.chapters) {
    const m = Math.floor(c.start / 60), s = String(Math.floor(c.start % 60)).padStart(2, "0");
    list.append(el("li", {}, el("button", { type: "button", class: "seek",
      data: { start: String(c.start) },
      on: { click: () => { audio.currentTime = c.start; audio.play().catch(() => {}); } } },
      el("span", { class: "time", text: `${m}:${s}` }), el("span", { class: "name", text: ` ${c.title}` }))));
  }
  $("result-links").append(el("a", { href: result.audio, download: "", text: "Download the MP3" }));
}

window.addEventListener("beforeunload", () => { if (state.name) showSaveState(); });

(async () => {
  await loadVoices().catch(() => {});
  const sessions = await loadSessions();
  const wanted = new URLSearchParams(location.search).get("session");
  const first = sessions.find((s) => s.name === wanted) || sessions[0];
  if (first) await openSession(first.name);
  document.body.dataset.ready = "1";
})();

// The session page, live: which pose is playing, its cues, the time left in a hold,
// tap a pose to go to it, and keep the session for offline. Every time shown comes from
// the session's JSON file (written with the MP3 from the same plan), never from here.
"use strict";

(function () {
  const root = document.body.dataset.root || "";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root + "sw.js").catch(() => {});
  }
  const main = document.getElementById("session");
  if (!main) return;
  const audio = document.getElementById("audio");
  const nowPose = document.getElementById("now-pose");
  const nowHold = document.getElementById("now-hold");
  const nowCues = document.getElementById("now-cues");
  const cursor = document.getElementById("cursor");
  const items = Array.from(document.querySelectorAll("#chapters > li"));

  fetch(main.dataset.plan).then((r) => r.json()).then(start);

  function clock(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // The lock screen and headset buttons (Media Session): the session's title, the pose
  // now playing, the teacher and the app's icon; previous/next go to the neighbouring
  // pose's start, and the position shown there follows the player.
  function poseMetadata(pose) {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    const title = document.getElementById("title").textContent;
    navigator.mediaSession.metadata = new MediaMetadata({
      title: pose ? title + " · " + pose : title,
      artist: main.dataset.author || "",
      album: title,
      artwork: [
        { src: root + "icon-192.png", sizes: "192x192", type: "image/png" },
        { src: root + "icon-512.png", sizes: "512x512", type: "image/png" },
      ],
    });
  }

  function setupMediaSession(chapters, chapterAt) {
    if (!("mediaSession" in navigator)) return;
    const session = navigator.mediaSession;
    function position() {
      if (!session.setPositionState || !isFinite(audio.duration)) return;
      try {
        session.setPositionState({ duration: audio.duration, playbackRate: audio.playbackRate,
                                   position: Math.min(audio.currentTime, audio.duration) });
      } catch (e) { /* a position the browser refuses is not worth an error */ }
    }
    function seekTo(t) {
      audio.currentTime = Math.max(0, Math.min(t, audio.duration || t));
      position();
    }
    function pose(step) {
      const t = audio.currentTime;
      let i = chapterAt(t) + step;
      // "previous" a few seconds into a pose goes to its own start, as players do.
      if (step < 0 && t - chapters[chapterAt(t)].start_s > 3) i = chapterAt(t);
      if (i >= 0 && i < chapters.length) seekTo(chapters[i].start_s);
    }
    const handlers = {
      play: () => audio.play(),
      pause: () => audio.pause(),
      seekbackward: (d) => seekTo(audio.currentTime - ((d && d.seekOffset) || 10)),
      seekforward: (d) => seekTo(audio.currentTime + ((d && d.seekOffset) || 10)),
      seekto: (d) => seekTo(d.seekTime),
      previoustrack: () => pose(-1),
      nexttrack: () => pose(1),
    };
    for (const [name, fn] of Object.entries(handlers)) {
      try { session.setActionHandler(name, fn); } catch (e) { /* not supported here */ }
    }
    for (const name of ["loadedmetadata", "seeked", "play", "pause", "ratechange"]) {
      audio.addEventListener(name, position);
    }
    audio.addEventListener("play", () => { session.playbackState = "playing"; });
    audio.addEventListener("pause", () => { session.playbackState = "paused"; });
    position();
  }

  function start(plan) {
    const chapters = plan.chapters;
    const events = plan.events;
    let shown = -1;
    let speaking = -1;

    function chapterAt(t) {
      let i = 0;
      while (i + 1 < chapters.length && chapters[i + 1].start_s <= t) i += 1;
      return i;
    }

    function eventAt(t) {
      let lo = 0;
      let hi = events.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (events[mid].start_s <= t) lo = mid; else hi = mid - 1;
      }
      return lo;
    }

    // The cues shown are those of the current side: a chapter's speech is split by its
    // holds (the plan marks them), and during a hold the cues just spoken stay in view.
    const holds = plan.holds || [];
    let groups = [];
    let holdEnds = [];
    let group = -1;

    function showChapter(i) {
      shown = i;
      speaking = -1;
      group = -1;
      items.forEach((li, k) => {
        li.classList.toggle("current", k === i);
        if (k === i) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
      });
      const c = chapters[i];
      nowPose.textContent = c.title;
      groups = [[]];
      holdEnds = holds.filter((h) => h.section === c.section).map((h) => h.start_s + h.duration_s);
      events.forEach((e, k) => {
        if (e.section !== c.section || e.kind !== "speech") return;
        const g = holdEnds.filter((end) => end <= e.start_s).length;
        while (groups.length <= g) groups.push([]);
        groups[g].push(k);
      });
      while (groups.length <= holdEnds.length) groups.push([]);
    }

    function showGroup(t) {
      let g = holdEnds.filter((end) => end <= t).length;
      while (g > 0 && groups[g].length === 0) g -= 1;
      if (g === group) return;
      group = g;
      speaking = -1;
      nowCues.replaceChildren(...groups[g].map((k) => {
        const li = document.createElement("li");
        li.textContent = events[k].text;
        li.dataset.event = String(k);
        return li;
      }));
    }

    // In a flow: the movement now, its cue, and the round (the plan marks each event).
    function showMovement(k) {
      let s = k;
      while (s > 0 && events[s].kind !== "speech") s -= 1;
      if (group === -2 - s) return;
      group = -2 - s;
      speaking = -1;
      const li = document.createElement("li");
      li.textContent = events[s].text || "";
      li.dataset.event = String(s);
      nowCues.replaceChildren(li);
    }

    function holdAt(t) {
      return holds.find((h) => h.start_s <= t && t < h.start_s + h.duration_s);
    }

    function update() {
      const t = audio.currentTime;
      const i = chapterAt(t);
      if (i !== shown) {
        showChapter(i);
        poseMetadata(chapters[i].title);
      }
      const k = eventAt(t);
      const e = events[k];
      const flowing = e && e.movement && e.section === chapters[i].section;
      if (flowing) showMovement(k); else showGroup(t);
      if (e && e.kind === "speech" && k !== speaking) {
        speaking = k;
        for (const li of nowCues.children) li.classList.toggle("speaking", li.dataset.event === String(k));
      }
      const h = holdAt(t);
      if (flowing) {
        nowHold.textContent = e.movement + " · round " + e.round + " of " + e.rounds;
        nowHold.hidden = false;
      } else if (h) {
        const left = h.start_s + h.duration_s - t;
        let text = "In the pose · " + clock(left) + " left";
        if (h.breaths) {
          const n = Math.max(1, Math.ceil(left / (h.duration_s / h.breaths) - 0.05));
          text += " · " + n + (n === 1 ? " breath" : " breaths");
        }
        nowHold.textContent = text;
        nowHold.hidden = false;
      } else {
        nowHold.hidden = true;
      }
      cursor.setAttribute("x1", String((t / plan.length_s) * 1000));
      cursor.setAttribute("x2", String((t / plan.length_s) * 1000));
    }

    for (const button of document.querySelectorAll("#chapters .seek")) {
      const i = items.indexOf(button.closest("li"));
      button.addEventListener("click", () => {
        audio.currentTime = chapters[i].start_s;
        update();
      });
    }
    document.getElementById("timeline").addEventListener("click", (ev) => {
      const box = ev.currentTarget.getBoundingClientRect();
      audio.currentTime = ((ev.clientX - box.left) / box.width) * plan.length_s;
      update();
    });
    for (const name of ["timeupdate", "seeked", "seeking", "play", "loadedmetadata"]) {
      audio.addEventListener(name, update);
    }
    update();
    setupMediaSession(chapters, chapterAt);
    setupKeep(plan);
    setupResume(chapters, chapterAt, update);
    setupAwake();
    setupHowLong(plan);
  }

  // Carry on where you left off: the position of this session at this length is kept on
  // this device only (localStorage), and reopening offers the start of the pose you were in.
  function setupResume(chapters, chapterAt, update) {
    const key = "ab-position:" + location.pathname;
    let store;
    try { store = window.localStorage; } catch (e) { return; }
    if (!store) return;
    let last = 0;
    function save(force) {
      const t = audio.currentTime;
      // not played yet (left while the offer was showing): the kept position stays
      if (t < 1 || audio.ended) return;
      if (!force && Math.abs(t - last) < 5) return;
      last = t;
      try {
        store.setItem(key, JSON.stringify({ t: t, at: Date.now() }));
      } catch (e) { /* storage full or refused: nothing to keep */ }
    }
    audio.addEventListener("timeupdate", () => save(false));
    audio.addEventListener("pause", () => save(true));
    audio.addEventListener("ended", () => { try { store.removeItem(key); } catch (e) {} });
    window.addEventListener("pagehide", () => save(true));
    let kept = null;
    try { kept = JSON.parse(store.getItem(key) || "null"); } catch (e) { kept = null; }
    if (!kept || !(kept.t > 10)) return;
    const i = chapterAt(kept.t);
    const box = document.getElementById("resume");
    document.getElementById("resume-text").textContent =
      "You stopped in " + chapters[i].title + " (" + clock(kept.t) + ").";
    document.getElementById("resume-go").textContent =
      "Continue at " + chapters[i].title + " (" + clock(chapters[i].start_s) + ")";
    box.hidden = false;
    document.getElementById("resume-go").addEventListener("click", () => {
      audio.currentTime = chapters[i].start_s;
      box.hidden = true;
      update();
      audio.play().catch(() => {});
    });
    document.getElementById("resume-restart").addEventListener("click", () => {
      try { store.removeItem(key); } catch (e) {}
      audio.currentTime = 0;
      box.hidden = true;
      update();
    });
  }

  // Keep the screen on while it plays, when asked (Screen Wake Lock); the browser drops
  // the lock when the page is hidden, so it is asked again when the page shows.
  function setupAwake() {
    if (!("wakeLock" in navigator)) return;
    const row = document.getElementById("awake-row");
    const box = document.getElementById("awake");
    row.hidden = false;
    try { box.checked = window.localStorage.getItem("ab-awake") === "1"; } catch (e) {}
    let lock = null;
    async function hold() {
      if (!box.checked || audio.paused || lock || document.visibilityState !== "visible") return;
      try {
        lock = await navigator.wakeLock.request("screen");
        lock.addEventListener("release", () => { lock = null; });
      } catch (e) { lock = null; /* refused (battery saver): the page plays on */ }
    }
    function drop() {
      if (lock) lock.release().catch(() => {});
      lock = null;
    }
    box.addEventListener("change", () => {
      try { window.localStorage.setItem("ab-awake", box.checked ? "1" : "0"); } catch (e) {}
      if (box.checked) hold(); else drop();
    });
    audio.addEventListener("play", hold);
    audio.addEventListener("pause", drop);
    audio.addEventListener("ended", drop);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") hold();
    });
  }

  // "How long do you have?": the nearest length this session was published in.
  function setupHowLong(plan) {
    const form = document.getElementById("how-long");
    fetch("lengths.json").then((r) => (r.ok ? r.json() : null)).then((lengths) => {
      if (!lengths || lengths.length < 2) return;
      form.hidden = false;
      const input = document.getElementById("minutes");
      input.max = String(Math.ceil(Math.max(...lengths.map((l) => l.seconds)) / 60) + 30);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const want = Number(input.value) * 60;
        const nearest = (list) => list.reduce((a, l) =>
          (Math.abs(l.seconds - want) < Math.abs(a.seconds - want) ? l : a));
        let best = nearest(lengths);
        let note = "";
        if (navigator.onLine === false && "caches" in window) {
          // offline: only the lengths kept on this device (and this one) can open
          const cache = await caches.open("ab-kept-v1");
          const kept = [];
          for (const l of lengths) {
            const page = new URL(l.page, location.href).href;
            if (l.name === plan.length_name || await cache.match(page, { ignoreSearch: true })) {
              kept.push(l);
            }
          }
          const near = nearest(kept);
          if (near !== best) note = best.name + " is not kept on this device. ";
          best = near;
        }
        const answer = document.getElementById("how-long-answer");
        if (best.name === plan.length_name) {
          answer.textContent = note + "This one: " + clock(best.seconds) + ".";
          return;
        }
        answer.textContent = note + "Opening " + best.name + " (" + clock(best.seconds) + ")…";
        location.href = best.page + "#play";  // it plays on arrival, as it was asked
      });
    }).catch(() => {});
    if (location.hash === "#play") {
      // arrived from "how long do you have?": play it (the browser may want a tap first)
      history.replaceState(null, "", location.pathname + location.search);
      audio.play().catch(() => {});
    }
  }

  // "Keep for offline": this page, its data and its audio go into the worker's cache.
  function setupKeep(plan) {
    const button = document.getElementById("keep");
    const state = document.getElementById("keep-state");
    if (!("caches" in window) || !("serviceWorker" in navigator)) return;
    const urls = [location.href.split("#")[0], main.dataset.plan, audio.getAttribute("src"),
      main.dataset.plan.replace(/\.json$/, ".chapters.json"), "lengths.json"]
      .map((u) => new URL(u, location.href).href);
    const audioUrl = urls[2];

    async function refresh() {
      const cache = await caches.open("ab-kept-v1");
      // any version of the audio: after a re-publish the worker is fetching the new one
      const kept = await cache.match(audioUrl, { ignoreSearch: true });
      button.textContent = kept ? "Remove from this device" : "Keep for offline";
      state.textContent = kept ? "Kept on this device: plays without a connection." : "";
      button.hidden = false;
    }

    button.addEventListener("click", async () => {
      const cache = await caches.open("ab-kept-v1");
      button.disabled = true;
      try {
        if (await cache.match(audioUrl, { ignoreSearch: true })) {
          await Promise.all(urls.map((u) => cache.delete(u, { ignoreSearch: true })));
        } else {
          state.textContent = "Keeping " + plan.title + "…";
          await cache.addAll(urls);
        }
      } catch (error) {
        state.textContent = "Could not keep it now; try again with a connection.";
        button.disabled = false;
        return;
      }
      button.disabled = false;
      await refresh();
    });
    refresh();
  }
})();

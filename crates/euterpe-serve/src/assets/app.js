// euterpe's page: generate pieces over POST /generate_music, play them, and play a live stream
// from the WebSocket at /live with Web Audio. No framework, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { emotion: "", valence: null, arousal: null, models: [], live: null };
const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const noteName = (p) => NOTE_NAMES[p % 12] + (Math.floor(p / 12) - 1);

function token() { return $("token").value.trim(); }
function authHeaders() { return token() ? { Authorization: "Bearer " + token() } : {}; }

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), ...authHeaders() } });
  if (response.status === 401) { $("token-row").hidden = false; }
  return response;
}

// A URL the page can put in <audio>/<img>: direct without a token, a blob URL with one.
async function fileUrl(path) {
  if (!token()) return path;
  const response = await api(path);
  return URL.createObjectURL(await response.blob());
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

async function loadModels() {
  const response = await api("/models");
  if (!response.ok) { setStatus("Enter the access token, then reload the models.", true); return; }
  const catalog = await response.json();
  state.models = catalog.models.filter((m) => m.generates);
  const select = $("model");
  select.innerHTML = "";
  const auto = document.createElement("option");
  auto.value = ""; auto.textContent = "automatic (one that follows your choices)";
  select.appendChild(auto);
  for (const m of state.models) {
    const o = document.createElement("option");
    o.value = m.name; o.textContent = `${m.name} — ${m.description}`;
    select.appendChild(o);
  }
  fillStyles();
}

function stylesOf(name) {
  const withStyles = state.models.filter((m) => m.styles.length && m.conditions.includes("style"));
  const m = name ? state.models.find((x) => x.name === name) : withStyles[0];
  return m && m.conditions.includes("style") ? m.styles : [];
}

function fillStyles() {
  const styles = stylesOf($("model").value);
  for (const [id, empty] of [["style", "model's choice"], ["style2", "nothing"]]) {
    const select = $(id);
    select.innerHTML = "";
    const none = document.createElement("option");
    none.value = ""; none.textContent = empty;
    select.appendChild(none);
    for (const s of styles) {
      const o = document.createElement("option");
      o.value = s; o.textContent = s;
      select.appendChild(o);
    }
  }
}

function styleField() {
  const a = $("style").value, b = $("style2").value;
  if (!a) return null;
  if (!b || b === a) return a;
  const w = Number($("blend").value) / 100;
  return `${a}=${(1 - w).toFixed(2)},${b}=${w.toFixed(2)}`;
}

// The request's fields from the controls; empty ones are left out.
function fields() {
  const f = { temperature: Number($("temperature").value) };
  const prompt = $("prompt").value.trim();
  if (prompt) f.prompt = prompt;
  // With a prompt, an untouched default length lets the prompt's length count.
  if (!prompt || $("bars").dataset.touched) f.bars = Number($("bars").value);
  if ($("model").value) f.model = $("model").value;
  if (state.emotion) f.emotion = state.emotion;
  if (state.valence !== null) { f.valence = state.valence; f.arousal = state.arousal; }
  const style = styleField();
  if (style) f.style = style;
  if ($("tempo").value) f.tempo = Number($("tempo").value);
  if ($("seed").value !== "") f.seed = Number($("seed").value);
  return f;
}

// The chosen picture as base64, or null.
function pictureBase64() {
  const file = $("image").files[0];
  if (!file) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] || null);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function generate() {
  $("generate").disabled = true;
  $("progress").hidden = false;
  setStatus("");
  try {
    const f = fields();
    const picture = await pictureBase64();
    if (picture) {
      f.image = picture;
    }
    const response = await api("/generate_music", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(f),
    });
    const body = await response.json();
    if (!response.ok) { setStatus(body.error || `error ${response.status}`, true); return; }
    await showPiece(body);
    setStatus(`Done: ${body.notes} notes, ${body.duration_seconds.toFixed(1)} s, seed ${body.parameters.seed}.`);
  } catch (e) {
    setStatus("The server could not be reached: " + e, true);
  } finally {
    $("generate").disabled = false;
    $("progress").hidden = true;
  }
}

async function showPiece(piece) {
  const [wav, png] = await Promise.all([fileUrl(piece.links.wav), fileUrl(piece.links.png)]);
  $("player").src = wav;
  $("roll").src = png;
  $("download-midi").href = await fileUrl(piece.links.midi);
  $("download-midi").download = `euterpe-${piece.id}.mid`;
  $("download-wav").href = wav;
  $("download-wav").download = `euterpe-${piece.id}.wav`;
  const p = piece.parameters;
  const mood = p.emotion || (p.valence !== null ? `valence ${p.valence}, arousal ${p.arousal}` : "any mood");
  $("result-title").textContent = `${mood}${p.style ? ", " + p.style : ""} — ${p.bars} bars`;
  const unknown = piece.prompt && piece.prompt.unknown && piece.prompt.unknown.length
    ? "; words not known (English only): " + piece.prompt.unknown.join(", ") : "";
  const heard = piece.prompt ? "; prompt read as " + piece.prompt.understood.map((u) => u.meaning).join(", ") + unknown : "";
  $("result-info").textContent = `model ${p.model}, temperature ${p.temperature}, seed ${p.seed}, ` +
    `${piece.notes} notes, written in ${piece.generation_seconds.toFixed(2)} s${heard}`;
  $("result").hidden = false;
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = "#"; link.textContent = `${$("result-title").textContent} (seed ${p.seed})`;
  link.addEventListener("click", (e) => { e.preventDefault(); showPiece(piece); });
  item.appendChild(link);
  $("history").prepend(item);
}

// --- Emotion: quadrant buttons and the valence/arousal pad -------------------------------------

function chooseEmotion(name) {
  state.emotion = name; state.valence = null; state.arousal = null;
  for (const b of document.querySelectorAll("#emotions button")) b.classList.toggle("chosen", b.dataset.emotion === name);
  drawPad();
  sendLive({ emotion: name || null });
}

function drawPad() {
  const c = $("pad"), g = c.getContext("2d"), w = c.width, h = c.height;
  g.clearRect(0, 0, w, h);
  const quads = [["happy", w / 2, 0, "#ffe8a3"], ["tense", 0, 0, "#ffc9c9"], ["sad", 0, h / 2, "#c5d8ff"], ["calm", w / 2, h / 2, "#c3f0d0"]];
  for (const [name, x, y, color] of quads) {
    g.fillStyle = color; g.fillRect(x, y, w / 2, h / 2);
    g.fillStyle = "#5b6478"; g.font = "12px system-ui"; g.fillText(name, x + 8, y + 16);
  }
  if (state.valence !== null) {
    const x = (state.valence + 1) / 2 * w, y = (1 - (state.arousal + 1) / 2) * h;
    g.fillStyle = "#3b5bdb"; g.beginPath(); g.arc(x, y, 6, 0, 2 * Math.PI); g.fill();
    $("pad-value").textContent = `valence ${state.valence}, arousal ${state.arousal}`;
  } else {
    $("pad-value").textContent = "";
  }
}

function padClick(event) {
  const r = $("pad").getBoundingClientRect();
  const round = (v) => Math.round(Math.max(-1, Math.min(1, v)) * 100) / 100;
  state.valence = round(((event.clientX - r.left) / r.width) * 2 - 1);
  state.arousal = round(1 - ((event.clientY - r.top) / r.height) * 2);
  state.emotion = "";
  for (const b of document.querySelectorAll("#emotions button")) b.classList.toggle("chosen", false);
  drawPad();
  sendLive({ valence: state.valence, arousal: state.arousal });
}

// --- Live: the WebSocket stream played with Web Audio -----------------------------------------

function liveUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/live` + (token() ? `?token=${encodeURIComponent(token())}` : "");
}

function sendLive(control) {
  const live = state.live;
  if (!live || live.socket.readyState !== WebSocket.OPEN) return;
  live.socket.send(JSON.stringify({ type: "control", ...control }));
}

function startLive() {
  const audio = new (window.AudioContext || window.webkitAudioContext)();
  const socket = new WebSocket(liveUrl());
  const live = { socket, audio, start: null, notes: [] };
  state.live = live;
  $("live").hidden = false;
  $("live").scrollIntoView();
  $("live-start").disabled = true;
  $("live-stop").disabled = false;
  socket.addEventListener("open", () => {
    const f = fields();
    delete f.bars;
    delete f.prompt;
    if (!f.tempo) f.tempo = 110;
    f.density = Number($("density").value);
    if ($("register-on").checked) f.register = Number($("register").value);
    socket.send(JSON.stringify({ type: "start", ...f }));
  });
  socket.addEventListener("message", (event) => onLiveMessage(live, JSON.parse(event.data)));
  socket.addEventListener("close", () => stopLive(false));
  requestAnimationFrame(() => drawLive(live));
}

function onLiveMessage(live, m) {
  if (m.type === "started") {
    live.start = live.audio.currentTime + 0.35;
    $("live-info").textContent = `playing: model ${m.settings.model}, seed ${m.settings.seed}, ${m.settings.tempo} BPM`;
  } else if (m.type === "note") {
    playNote(live, m);
    live.notes.push(m);
    if (live.notes.length > 600) live.notes.splice(0, 200);
  } else if (m.type === "bar") {
    $("live-info").textContent = `bar ${m.index + 1} at ${m.tempo} BPM; model step p99 ${m.stats.step_ms_p99.toFixed(2)} ms`;
  } else if (m.type === "control_applied") {
    const s = m.settings;
    const mood = s.emotion || (s.valence !== null ? `valence ${s.valence}, arousal ${s.arousal}` : "any mood");
    setStatus(`Live: changed to ${mood}${s.style ? ", " + s.style : ""}, temperature ${s.temperature}, ` +
      `${s.tempo} BPM, density ${s.density}${s.register !== null ? ", register " + noteName(s.register) : ""}`);
  } else if (m.type === "error") {
    setStatus("Live: " + m.error, true);
  }
}

// A plucked, piano-like voice: two detuned oscillators through a decaying gain.
function playNote(live, m) {
  if (m.drum || live.start === null) return;
  const ctx = live.audio;
  const at = Math.max(ctx.currentTime, live.start + m.time);
  const freq = 440 * Math.pow(2, (m.pitch - 69) / 12);
  const gain = ctx.createGain();
  const level = 0.08 * (m.velocity / 127);
  const length = Math.max(0.08, Math.min(m.duration, 4));
  gain.gain.setValueAtTime(0, at);
  gain.gain.linearRampToValueAtTime(level, at + 0.008);
  gain.gain.exponentialRampToValueAtTime(level * 0.3, at + length * 0.6);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length + 0.25);
  gain.connect(ctx.destination);
  for (const [type, detune] of [["triangle", 0], ["sine", 7]]) {
    const osc = ctx.createOscillator();
    osc.type = type; osc.frequency.value = freq; osc.detune.value = detune;
    osc.connect(gain); osc.start(at); osc.stop(at + length + 0.3);
  }
}

function drawLive(live) {
  if (state.live !== live) return;
  const c = $("live-roll"), g = c.getContext("2d");
  g.fillStyle = "#111726"; g.fillRect(0, 0, c.width, c.height);
  if (live.start !== null) {
    const now = live.audio.currentTime - live.start, span = 8;
    for (const n of live.notes) {
      const x = ((n.time - now) / span + 0.25) * c.width;
      const w = Math.max(2, n.duration / span * c.width);
      if (x + w < 0 || x > c.width) continue;
      const y = c.height - ((n.pitch - 24) / 84) * c.height;
      g.fillStyle = n.time <= now ? "#91a7ff" : "#4c6ef5";
      g.fillRect(x, y - 2, w, 4);
    }
    g.fillStyle = "#ffd43b"; g.fillRect(c.width * 0.25, 0, 1, c.height);
  }
  requestAnimationFrame(() => drawLive(live));
}

function stopLive(sendStop = true) {
  const live = state.live;
  if (!live) return;
  state.live = null;
  if (sendStop && live.socket.readyState === WebSocket.OPEN) live.socket.send(JSON.stringify({ type: "stop" }));
  live.socket.close();
  live.audio.close();
  $("live-start").disabled = false;
  $("live-stop").disabled = true;
}

// --- Wiring ---------------------------------------------------------------------------------

for (const b of document.querySelectorAll("#emotions button")) b.addEventListener("click", () => chooseEmotion(b.dataset.emotion));
$("pad").addEventListener("click", padClick);
$("generate").addEventListener("click", generate);
$("live-start").addEventListener("click", startLive);
$("live-stop").addEventListener("click", () => stopLive(true));
$("model").addEventListener("change", fillStyles);
$("bars").addEventListener("input", () => { $("bars").dataset.touched = "1"; });
$("token").addEventListener("change", loadModels);
$("temperature").addEventListener("input", () => {
  $("temperature-value").textContent = Number($("temperature").value).toFixed(2);
});
$("temperature").addEventListener("change", () => sendLive({ temperature: Number($("temperature").value) }));
$("tempo").addEventListener("change", () => { if ($("tempo").value) sendLive({ tempo: Number($("tempo").value) }); });
$("blend").addEventListener("input", () => { $("blend-value").textContent = $("blend").value + " %"; });
for (const id of ["style", "style2", "blend"]) $(id).addEventListener("change", () => sendLive({ style: styleField() }));
$("density").addEventListener("input", () => { $("density-value").textContent = Number($("density").value).toFixed(2); });
$("density").addEventListener("change", () => sendLive({ density: Number($("density").value) }));
$("register").addEventListener("input", () => { $("register-value").textContent = noteName(Number($("register").value)); });
$("register").addEventListener("change", () => { if ($("register-on").checked) sendLive({ register: Number($("register").value) }); });
$("register-on").addEventListener("change", () => sendLive({ register: $("register-on").checked ? Number($("register").value) : null }));
drawPad();
loadModels();

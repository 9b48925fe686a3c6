// The JS API's page-facing half (docs/js-api.md), loaded with the widget: listeners,
// refusals (a console warning and an `error` event, never an exception in the page),
// the calls that waited for the widget, and the notification sound. What needs the
// site's rules is done in Rust (src/api.rs) through `handle`.

const EVENTS = ['ready', 'open', 'close', 'message:sent', 'message:received', 'unread', 'status', 'introduced', 'offline:sent', 'action', 'error'];
const listeners = new Map(EVENTS.map((event) => [event, new Set()]));

export function emit(event, detail) {
  for (const listener of [...listeners.get(event)]) {
    try {
      listener(detail);
    } catch (e) {
      console.error('natter: a listener of "' + event + '" failed', e);
    }
  }
}

// A Yandex.Metrica goal on the page's own counter, if the page has `ym` (Natter loads
// no script for it).
export function goal(counter, name) {
  if (typeof window.ym !== 'function') return;
  try {
    window.ym(Number(counter), 'reachGoal', name);
  } catch (e) {
    console.error('natter: ym reachGoal "' + name + '" failed', e);
  }
}

export function refuse(message) {
  console.warn('natter: ' + message);
  emit('error', { message });
}

// The page's entry point: runs the calls that waited (in order); the widget says
// `ready` once they are done.
export function facade(handle, waiting) {
  const api = (name, args) => {
    if (name === 'on' || name === 'off') {
      const [event, listener] = args;
      if (!listeners.has(event)) return refuse(name + ': unknown event "' + event + '"; events: ' + EVENTS.join(', ')), () => {};
      if (typeof listener !== 'function') return refuse(name + '("' + event + '", listener): the listener must be a function'), () => {};
      if (name === 'off') return void listeners.get(event).delete(listener);
      listeners.get(event).add(listener);
      return () => void listeners.get(event).delete(listener);
    }
    try {
      return handle(name, args);
    } catch (e) {
      refuse(name + ' failed: ' + e);
    }
  };
  for (const [name, args, done] of waiting.splice(0)) done(api(name, args));
  return api;
}

// A short synthesized tone (no file to download), at most one per 1.5 s burst. The
// widget decides whether the site wants it; `play` is false when the visitor is looking
// at the open window, which only a hidden tab overrides.
let lastDing = 0;
export function ding(play) {
  if (!(play || document.hidden) || Date.now() - lastDing < 1500) return;
  lastDing = Date.now();
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
    tone.connect(gain).connect(audio.destination);
    tone.onended = () => audio.close();
    tone.start();
    tone.stop(audio.currentTime + 0.3);
  } catch (_) { /* no audio here: stay silent */ }
}

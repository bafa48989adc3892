"""Voice in the browser (言出法随): speech recognition (zh-CN) that fills the question, a
hands-free mode that sends after a pause and listens again once the answer has been read,
read-aloud with speech synthesis, and — when the browser has no speech recognition — audio
recorded with MediaRecorder and turned into text by the server (POST /voice/transcribe, only
when GET /voice/capabilities says transcription is configured).

Everything runs in the browser (`window.tbVoice`, below); it reports to the page through the
global NiceGUI event `tb_voice` with `{kind, target, ...}`:

- `state` {listening}: the microphone is on or off
- `text` {text, final}: what was heard so far (the input shows it)
- `send` {text}: hands-free, after a pause: send this question
- `error` {error}: recognition or recording failed (`not-allowed`, `no-speech`, `transcribe`…)

`target` says where the words go: "chat" (the question) or "record" (the voice-record dialog).
Nothing is loaded from the internet: the Web Speech API is the browser's own.
"""

from __future__ import annotations

import json

from nicegui import ui

from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "mic": ("语音输入（普通话）", "Speak (Mandarin)"),
    "mic_record": (
        "录音，转写后填入（再点一次结束）",
        "Record, then transcribe (click again to stop)",
    ),
    "mic_stop": ("停止", "Stop"),
    "no_voice": (
        "此浏览器不支持语音识别，且服务器未配置语音转写（voice.transcription），无法语音输入。",
        "This browser has no speech recognition and the server has no transcription "
        "(voice.transcription) configured: voice input is unavailable.",
    ),
    "not-allowed": (
        "麦克风权限被拒绝，请在浏览器中允许使用麦克风。",
        "Microphone access was denied.",
    ),
    "no-speech": ("没有听到声音，请再说一次。", "No speech was heard; please try again."),
    "audio-capture": ("找不到麦克风。", "No microphone was found."),
    "transcribe": ("语音转写失败：{message}", "Transcription failed: {message}"),
    "voice_error": ("语音识别出错：{error}", "Speech recognition failed: {error}"),
}

VOICE_JS = r"""
<script>
window.tbVoice = (() => {
  const SR = window.SpeechRecognition || window.webkitSpeechRecognition;
  const FATAL = ['not-allowed', 'service-not-allowed', 'audio-capture', 'network'];
  const s = {rec: null, target: 'chat', handsFree: false, pauseMs: 1500, timer: null,
             finalText: '', recorder: null, busy: false};
  const report = (kind, data) =>
    emitEvent('tb_voice', Object.assign({kind: kind, target: s.target}, data || {}));

  function support() {
    return {
      recognition: !!SR,
      recorder: !!(window.MediaRecorder && navigator.mediaDevices &&
                   navigator.mediaDevices.getUserMedia),
      synthesis: !!window.speechSynthesis,
    };
  }

  function stopListening() {
    clearTimeout(s.timer);
    const rec = s.rec;
    s.rec = null;
    if (rec) { try { rec.abort ? rec.abort() : rec.stop(); } catch (e) {} }
  }

  function flush() {
    clearTimeout(s.timer);
    const text = s.finalText.trim();
    s.finalText = '';
    if (!text) return;
    stopListening();
    s.busy = true;
    report('state', {listening: false});
    report('send', {text: text});
  }

  function listen(target, handsFree) {
    if (!SR) return false;
    stopListening();
    s.target = target || 'chat';
    s.handsFree = !!handsFree;
    s.finalText = '';
    const rec = new SR();
    rec.lang = 'zh-CN';
    rec.interimResults = true;
    rec.continuous = s.handsFree;
    rec.maxAlternatives = 1;
    rec.onresult = (e) => {
      let interim = '';
      for (let i = e.resultIndex; i < e.results.length; i++) {
        const r = e.results[i];
        if (r.isFinal) s.finalText += r[0].transcript; else interim += r[0].transcript;
      }
      report('text', {text: s.finalText + interim, final: !interim});
      if (s.handsFree) { clearTimeout(s.timer); s.timer = setTimeout(flush, s.pauseMs); }
    };
    rec.onerror = (e) => {
      const error = (e && e.error) || 'error';
      if (FATAL.includes(error)) s.handsFree = false;
      if (error !== 'aborted' && !(s.handsFree && error === 'no-speech')) {
        report('error', {error: error});
      }
    };
    rec.onend = () => {
      if (s.rec !== rec) return;  // replaced or stopped on purpose
      s.rec = null;
      if (s.handsFree) {
        if (s.finalText.trim()) { flush(); return; }
        const again = () => { if (s.handsFree && !s.rec && !s.busy) listen('chat', true); };
        if (!s.busy) setTimeout(again, 300);
        return;
      }
      report('state', {listening: false});
    };
    s.rec = rec;
    rec.start();
    report('state', {listening: true});
    return true;
  }

  function toggle(target) {
    if (s.rec) { const hf = s.handsFree; s.handsFree = false; stopListening();
                 report('state', {listening: false}); return hf; }
    if (SR) return listen(target, false);
    return record(target);
  }

  function setHandsFree(on) {
    s.handsFree = !!on;
    s.busy = false;
    if (on) return listen('chat', true);
    stopListening();
    report('state', {listening: false});
    return false;
  }

  function clean(text) {
    return (text || '').replace(/\[\d+\]/g, '').replace(/[#*_`>|]/g, ' ');
  }

  function speak(text, then) {
    const synth = window.speechSynthesis;
    if (!synth || !text) { if (then) then(); return false; }
    synth.cancel();
    const u = new SpeechSynthesisUtterance(clean(text));
    const zh = /[\u4e00-\u9fff]/.test(text);
    u.lang = zh ? 'zh-CN' : 'en-US';
    const voices = synth.getVoices ? synth.getVoices() : [];
    const voice = voices.find(v => (v.lang || '').replace('_', '-').toLowerCase()
                                     .startsWith(zh ? 'zh' : 'en'));
    try { if (voice) u.voice = voice; } catch (e) {}
    u.onend = () => { if (then) then(); };
    u.onerror = () => { if (then) then(); };
    synth.speak(u);
    return true;
  }

  function stopSpeaking() { if (window.speechSynthesis) window.speechSynthesis.cancel(); }

  // The page calls this once an answer is complete: read it (if asked), then listen again
  // in hands-free mode.
  function answered(text, readAloud) {
    s.busy = false;
    const resume = () => { if (s.handsFree && !s.rec) listen('chat', true); };
    if (readAloud) speak(text, resume); else resume();
  }

  async function record(target) {
    s.target = target || 'chat';
    if (s.recorder) { s.recorder.stop(); return false; }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: true});
    } catch (e) {
      report('error', {error: 'not-allowed'});
      return false;
    }
    const chunks = [];
    const recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onstop = async () => {
      s.recorder = null;
      stream.getTracks().forEach(t => t.stop());
      report('state', {listening: false});
      const type = recorder.mimeType || 'audio/webm';
      const form = new FormData();
      const name = 'speech.' + (type.includes('ogg') ? 'ogg' : 'webm');
      form.append('file', new Blob(chunks, {type: type}), name);
      try {
        const r = await fetch('/voice/transcribe', {method: 'POST', body: form,
                                                    credentials: 'same-origin'});
        const body = await r.json();
        if (!r.ok) {
          const message = (body.error || {}).message || r.status;
          report('error', {error: 'transcribe', message: message});
          return;
        }
        report('text', {text: body.text || '', final: true});
      } catch (e) {
        report('error', {error: 'transcribe', message: String(e)});
      }
    };
    s.recorder = recorder;
    recorder.start();
    report('state', {listening: true});
    return true;
  }

  return {support, listen, toggle, setHandsFree, speak, stopSpeaking, answered, record};
})();
</script>
"""


def install() -> None:
    """Add `window.tbVoice` to the page (once per page)."""
    ui.add_body_html(VOICE_JS)


def error_message(ctx: PageContext, data: dict) -> str:
    error = str(data.get("error") or "error")
    if error == "transcribe":
        return ctx.t(TEXT, "transcribe", message=data.get("message", ""))
    if error in TEXT:
        return ctx.t(TEXT, error)
    return ctx.t(TEXT, "voice_error", error=error)


def js_call(function: str, *args: object) -> str:
    """`tbVoice.<function>(args…)` with JSON-encoded arguments, safe when voice is missing."""
    encoded = ", ".join(json.dumps(a, ensure_ascii=False) for a in args)
    return f"return window.tbVoice ? window.tbVoice.{function}({encoded}) : null;"

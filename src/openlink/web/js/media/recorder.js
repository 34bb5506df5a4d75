// A voice message from the microphone with MediaRecorder (WebM/Opus where the browser has
// it). start() asks for the microphone; stop(true) hands the recording over as a File,
// stop(false) throws it away. The microphone is released either way.

const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
export const MIN_MS = 500;

export function recordingSupported() {
  return Boolean(window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

export class VoiceRecorder {
  constructor() {
    this.rec = null;
    this.stream = null;
    this.startedAt = 0;
  }

  get recording() {
    return Boolean(this.rec);
  }

  get elapsedMs() {
    return this.rec ? performance.now() - this.startedAt : 0;
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const mimeType = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    this.rec = new MediaRecorder(this.stream, mimeType ? { mimeType } : undefined);
    this.chunks = [];
    this.rec.ondataavailable = (e) => e.data && e.data.size && this.chunks.push(e.data);
    this.rec.start(250);
    this.startedAt = performance.now();
  }

  /** Stop; with keep, resolves {file, durationMs} (null if too short), else null. */
  stop(keep) {
    const rec = this.rec;
    if (!rec) return Promise.resolve(null);
    const durationMs = this.elapsedMs;
    this.rec = null;
    return new Promise((resolve) => {
      rec.onstop = () => {
        for (const track of this.stream.getTracks()) track.stop();
        this.stream = null;
        if (!keep || durationMs < MIN_MS || !this.chunks.length) return resolve(null);
        const type = (rec.mimeType || "audio/webm").split(";")[0];
        const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
        const file = new File(this.chunks, `voice.${ext}`, { type });
        resolve({ file, durationMs });
      };
      rec.stop();
    });
  }
}

// One WebSocket for every room of the account: hello with a resume point per room,
// reconnect with backoff, heartbeats by `ping` op (browsers cannot see protocol pings).

import { Emitter } from "./util.js";

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

/**
 * Connection events: "state" ({state, retryAt}), "event" (every server frame) and one event
 * per frame type ("ready", "message", "ack", ...). States: idle, connecting (first time),
 * online, reconnecting (retryAt: when the next attempt starts, or null while the browser
 * is offline), failed (auth or protocol: the app signs in again).
 */
export class Connection extends Emitter {
  constructor({ getToken, getSince }) {
    super();
    this.getToken = getToken;
    this.getSince = getSince;
    this.state = "idle";
    this.retryAt = null;
    this.ws = null;
    this.isReady = false; // the current socket has had its `ready`: ops may go
    this.attempt = 0;
    this.everOnline = false;
    this.stopped = true;
    this.held = false; // a test hook keeps the connection down while set
    this.timer = null;
    this.pinger = null;
    this.heartbeatMs = 20000;
    this.lastHeard = 0;
    window.addEventListener("online", () => this.connectNow());
    window.addEventListener("offline", () => this.drop("offline"));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.connectNow();
    });
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "bye");
    this.everOnline = false;
    this.setState("idle");
  }

  setState(state) {
    this.state = state;
    this.emit("state", { state, retryAt: this.retryAt });
  }

  open() {
    clearTimeout(this.timer);
    this.retryAt = null;
    const token = this.getToken();
    if (!token || this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/ws`);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.isReady = false;
    this.setState(this.everOnline ? "reconnecting" : "connecting");
    ws.onopen = () => {
      if (this.ws === ws) ws.send(JSON.stringify({ op: "hello", token, since: this.getSince() }));
    };
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      let event;
      try {
        event = JSON.parse(e.data);
      } catch {
        return;
      }
      this.lastHeard = Date.now();
      this.handle(event);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closed(e.code);
    };
  }

  handle(event) {
    if (event.type === "ready") {
      this.attempt = 0;
      this.everOnline = true;
      this.isReady = true;
      this.heartbeatMs = Math.max(1, event.heartbeat_s || 20) * 1000;
      this.startHeartbeat();
      this.emit("ready", event); // state first, so that "online" listeners see the rooms
      this.setState("online");
      return;
    }
    this.emit("event", event);
    this.emit(event.type, event);
  }

  closed(code) {
    this.isReady = false;
    this.stopHeartbeat();
    if (this.stopped) return;
    if (code === 4001) {
      this.setState("failed");
      this.emit("auth_failed", { code });
      return;
    }
    if (code === 4002 || code === 1009) {
      this.setState("failed"); // a client bug: retrying in a loop would not help
      return;
    }
    if (code === 4000) this.attempt = 0; // fell behind: resume at once
    this.scheduleRetry(code === 4000 ? 0 : null);
  }

  scheduleRetry(delayMs = null) {
    clearTimeout(this.timer);
    if (this.held || !navigator.onLine) {
      this.retryAt = null; // wait for the network (or the test) instead of spinning
      this.setState("reconnecting");
      return;
    }
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = delayMs ?? base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState("reconnecting");
    this.timer = setTimeout(() => this.open(), delay);
  }

  /** Try now instead of waiting out the backoff (network back, tab visible, a click). */
  connectNow() {
    if (this.stopped || this.held || this.ws || this.state === "failed" || this.state === "idle") return;
    this.attempt = 0;
    this.open();
  }

  /** Close this socket as if the network dropped it; the usual reconnect follows. */
  drop(reason = "drop") {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    try {
      ws.close(1000, reason);
    } catch {
      /* already closing */
    }
    this.closed(1006);
  }

  /** A fresh connection now, e.g. after the reading language changed. */
  reconnect() {
    this.drop("reconnect");
    this.connectNow();
  }

  /** Send an op if the socket is ready; false means "not sent" (the caller queues it). */
  send(op) {
    if (!this.isReady || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(op));
    return true;
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.lastHeard = Date.now();
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastHeard > 2 * this.heartbeatMs + 2000) {
        this.drop("heartbeat"); // nothing heard for two intervals: the link is dead
        return;
      }
      this.send({ op: "ping", ref: `hb-${Date.now()}` });
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.pinger);
    this.pinger = null;
  }
}

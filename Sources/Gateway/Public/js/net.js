// One WebSocket to the gateway, reopened with backoff when it drops. Requests carry an `id`;
// the gateway's answer (welcome, ack, lobby or error) echoes it as `re` and settles the request's promise.
// It asks for state patches and turns each into the whole state message it makes (patch.js).
import { PatchFollower } from './patch.js';

/// The requests that enter the lobby or a game: they carry the opt-in for patches.
const ENTERING = new Set(['lobby', 'create', 'join', 'spectate', 'rejoin']);

/// The gateways' wall clock, measured from the `server_time` they send with `welcome`, `ack` and
/// `lobby`. The state's deadlines are counted down in server time, so a browser whose own clock is
/// off still shows the true time left. An answer to a request is a sample with a known round trip:
/// offset = server_time + rtt / 2 - received, off by at most rtt / 2, so the sample with the
/// smallest round trip among the recent ones wins (recent only: the browser's clock may be set
/// meanwhile). A message that answers none of our requests (a pushed lobby list) is used only
/// while there is nothing better.
export class ServerClock {
  static RECENT = 8;

  constructor() {
    this.samples = []; // the recent timed samples: {offset, rtt} in seconds
    this.untimed = null;
    this.offset = 0; // seconds, server minus browser
  }

  /// `sentAt` is null when the message answered no request of ours; times from `Date.now()`.
  sample(serverTime, sentAt, receivedAt = Date.now()) {
    if (typeof serverTime !== 'number') return;
    if (sentAt == null) {
      this.untimed = serverTime - receivedAt / 1000;
    } else {
      const rtt = Math.max(0, receivedAt - sentAt) / 1000;
      this.samples.push({ offset: serverTime + rtt / 2 - receivedAt / 1000, rtt });
      if (this.samples.length > ServerClock.RECENT) this.samples.shift();
    }
    const best = this.samples.reduce((a, b) => (b.rtt <= a.rtt ? b : a), this.samples[0] ?? null);
    this.offset = best ? best.offset : (this.untimed ?? 0);
  }

  /// Now on the gateways' clock, in seconds since 1970.
  now() {
    return Date.now() / 1000 + this.offset;
  }
}

export const serverClock = new ServerClock();

export class Connection {
  constructor({ url, onMessage, onOpen, onStatus }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onOpen = onOpen;
    this.onStatus = onStatus;
    this.nextId = 1;
    // Ids are unique per page load: the authority takes a seated player's request id as the key
    // that makes a retry idempotent, and a reloaded page must not reuse the last page's.
    this.idPrefix = Math.random().toString(36).slice(2, 8);
    this.pending = new Map();
    this.sent = []; // the last requests, for tests and bug reports
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.patches = new PatchFollower();
    this.open();
  }

  open() {
    clearTimeout(this.timer);
    this.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.patches.reset();
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.onStatus('open');
      this.onOpen();
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === 'state') {
        this.patches.state(message);
      } else if (message.type === 'patch') {
        message = this.patches.patch(message);
        // The gateway sends a patch only to a member whose last state is its base; should the chain
        // break all the same, a new connection starts it again from a whole state (resume).
        if (!message) {
          socket.close();
          return;
        }
      }
      const re = message.re;
      const request = re != null ? this.pending.get(re) : undefined;
      if ('server_time' in message) serverClock.sample(message.server_time, request?.sentAt);
      if (request && message.type === 'error' && message.code === 'authority_unavailable' && request.retries > 0) {
        // The command may have been applied with its answer lost, or not at all: sent again with
        // the same id, it is applied at most once and answered as the first time.
        request.retries -= 1;
        setTimeout(() => {
          if (this.pending.get(re) === request && this.isOpen) this.socket.send(request.text);
        }, Connection.RETRY_DELAY_MS);
        return;
      }
      if (request) {
        const { resolve, reject } = request;
        this.pending.delete(re);
        if (message.type === 'error') reject(message);
        else resolve(message);
      }
      this.onMessage(message);
    });
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      for (const { reject } of this.pending.values()) {
        reject({ type: 'error', code: 'disconnected', message: 'The connection was lost.' });
      }
      this.pending.clear();
      this.scheduleReconnect();
    });
    // An error is always followed by close; nothing to do here (and nothing to log).
    socket.addEventListener('error', () => {});
  }

  scheduleReconnect() {
    this.attempt += 1;
    this.onStatus('reconnecting');
    // 0.5 s, 1 s, 2 s, 4 s ... capped at 10 s, with jitter so a gateway restart is not stampeded.
    const base = Math.min(10000, 500 * 2 ** (this.attempt - 1));
    const delay = base / 2 + Math.random() * base / 2;
    this.timer = setTimeout(() => this.open(), delay);
  }

  /// Requests that are not retried on `authority_unavailable`: seat and lobby requests (a new
  /// game or seat each time; `resume` retries rejoin itself), and chat (not deduplicated).
  static NOT_RETRIED = new Set(['lobby', 'create', 'join', 'rejoin', 'spectate', 'leave', 'chat']);
  static RETRIES = 3;
  static RETRY_DELAY_MS = 1000;

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /// Sends a request; resolves with welcome/ack (or lobby for `lobby`), rejects with the error.
  request(type, fields = {}) {
    if (!this.isOpen) {
      return Promise.reject({ type: 'error', code: 'disconnected', message: 'Not connected: reconnecting…' });
    }
    const id = `c${this.idPrefix}-${this.nextId++}`;
    const text = JSON.stringify({ type, id, ...fields, ...(ENTERING.has(type) ? { patches: true } : {}) });
    const retries = Connection.NOT_RETRIED.has(type) ? 0 : Connection.RETRIES;
    const promise = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, sentAt: Date.now(), text, retries }));
    this.socket.send(text);
    this.sent.push(`${id} ${type}`);
    if (this.sent.length > 200) this.sent.shift();
    return promise;
  }

  /// Closes the socket as a network failure would (used by tests and the reconnect button).
  drop() {
    if (this.socket) this.socket.close();
  }
}

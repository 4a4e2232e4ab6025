// One WebSocket to the gateway, reopened with backoff when it drops. Requests carry an `id`;
// the gateway's answer (welcome, ack or error) echoes it as `re` and settles the request's promise.

export class Connection {
  constructor({ url, onMessage, onOpen, onStatus }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onOpen = onOpen;
    this.onStatus = onStatus;
    this.nextId = 1;
    this.pending = new Map();
    this.sent = []; // the last requests, for tests and bug reports
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
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
      const re = message.re;
      if (re != null && this.pending.has(re)) {
        const { resolve, reject } = this.pending.get(re);
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

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /// Sends a request; resolves with welcome/ack (or lobby for `lobby`), rejects with the error.
  request(type, fields = {}) {
    if (!this.isOpen) {
      return Promise.reject({ type: 'error', code: 'disconnected', message: 'Not connected: reconnecting…' });
    }
    const id = `c${this.nextId++}`;
    const promise = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.socket.send(JSON.stringify({ type, id, ...fields }));
    this.sent.push(`${id} ${type}`);
    if (this.sent.length > 200) this.sent.shift();
    return promise;
  }

  /// Sends without waiting for an answer (e.g. `lobby`, which is answered by a `lobby` message).
  send(type, fields = {}) {
    if (this.isOpen) this.socket.send(JSON.stringify({ type, ...fields }));
  }

  /// Closes the socket as a network failure would (used by tests and the reconnect button).
  drop() {
    if (this.socket) this.socket.close();
  }
}

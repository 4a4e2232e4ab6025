// The app's shared state and the helpers every view uses: the seat kept across reloads, players'
// names and colors, and sending a command. Imports only leaf modules, so views can import it
// without a cycle back to main.js.
import { toast } from './ui.js';
import { PLAYER_COLORS } from './data.js';

const SEAT_KEY = 'monopolyrelay.seat';

export const app = {
  conn: null,
  view: null,
  seat: loadSeat(), // {game, player, token} while seated
  watching: null, // game code while spectating
  game: null,
  player: null,
  state: null,
  seq: 0,
  epoch: 0, // with seq, the version of the state shown (version.js)
  games: [],
  tokens: null,
  unread: 0,
  joining: false,
};
window.__monopoly = app; // for tests and debugging
app.command = (type, fields) => command(type, fields);
app.toasts = toast.history;

function loadSeat() {
  try {
    const seat = JSON.parse(localStorage.getItem(SEAT_KEY) || 'null');
    return seat && seat.game && seat.token ? seat : null;
  } catch {
    return null;
  }
}

export function saveSeat(seat) {
  app.seat = seat;
  if (seat) localStorage.setItem(SEAT_KEY, JSON.stringify(seat));
  else localStorage.removeItem(SEAT_KEY);
}

export const colorOf = (id) => {
  const index = app.state?.players.findIndex((p) => p.id === id) ?? -1;
  const number = parseInt(String(id).replace(/\D/g, ''), 10);
  return PLAYER_COLORS[(index >= 0 ? index : (number || 1) - 1) % PLAYER_COLORS.length];
};
export const nameOf = (id) => (id === 'bank' ? 'the bank' : id === 'jackpot' ? 'the jackpot' : app.state?.players.find((p) => p.id === id)?.name ?? id);
export const me = () => app.state?.players.find((p) => p.id === app.player) ?? null;

// MARK: - Commands

/// Sends a game command; a rejection is shown as a toast with the server's words.
export async function command(type, fields = {}) {
  try {
    return await app.conn.request(type, fields);
  } catch (error) {
    toast(error.message || `${type} failed`);
    return null;
  }
}

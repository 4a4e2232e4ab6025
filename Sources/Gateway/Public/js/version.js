// Which state message the page keeps (README: "Epochs"). States are ordered by `epoch` first (the
// authority starts a new one each time it loads a game from Redis, which may have gone back to
// an older state and reuse seq numbers), then by `seq` within an epoch. A leaf module, pure, so a
// test imports it alone.

/// A message's epoch: 0 when it has none (an authority from before epochs), null when it is not a
/// whole number from 0 to 2^53 - 1 (exact in a JavaScript number).
export function epochOf(message) {
  const epoch = message == null ? undefined : message.epoch;
  if (epoch === undefined || epoch === null) return 0;
  return Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : null;
}

/// What to do with the state `message` when the state `held` ({epoch, seq}, or null) is shown:
/// 'next' (take it: the first, or a later seq of the same epoch), 'epoch' (take it and drop all
/// that was derived from the held state: a newer epoch, whatever its seq), 'stale' (drop it: an
/// older epoch, or a seq not above the held one), 'refused' (drop it: an epoch or seq that is no
/// whole number within bounds).
export function succession(message, held) {
  const epoch = epochOf(message);
  const seq = message == null ? undefined : message.seq;
  if (epoch === null || !Number.isSafeInteger(seq) || seq < 0) return 'refused';
  if (!held) return 'next';
  if (epoch > held.epoch) return 'epoch';
  if (epoch < held.epoch) return 'stale';
  return seq > held.seq ? 'next' : 'stale';
}

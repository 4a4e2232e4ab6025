// Voting to skip an absent player's turn (docs/rules.md, "Skipping an absent player's turn"): the
// state says who voted (`skip_votes`) and how many carry (`skip_votes_needed`, null while the
// current player is there); the authority decides who may vote, this only offers the button.
import { esc } from './ui.js';

/// The vote's notice and button for `me` (the player viewing, or null), or '' when no vote is open
/// to them: the current player is there, or it is their own turn, or they are out of the game.
export function skipVoteHTML(s, me, nameOf) {
  const needed = s.skip_votes_needed;
  if (s.phase !== 'playing' || needed == null || !me || me.bankrupt || me.id === s.current) return '';
  const votes = s.skip_votes.length;
  const who = esc(nameOf(s.current));
  if (votes >= needed) {
    return `<div class="notice skip-vote" data-testid="skip-vote"><b>${who}</b> is disconnected: the vote passed, the bot plays this turn.</div>`;
  }
  const voted = s.skip_votes.includes(me.id);
  const count = `${votes} of ${needed}`;
  return `<div class="notice skip-vote" data-testid="skip-vote">
    <p><b>${who}</b> is disconnected. Let the bot play this turn now? <span class="muted small" data-testid="skip-vote-count">${count} votes needed</span></p>
    <button type="button" class="btn btn-small" data-cmd="vote_skip" data-args='${esc(JSON.stringify({ turn: s.turn_number }))}'
      data-testid="vote-skip" ${voted ? 'disabled title="You voted"' : ''}>${voted ? 'Voted' : 'Vote to skip'} (${count})</button></div>`;
}

/// The badge on the absent player's row while a vote is open on their turn.
export function skipVoteBadge(s, p) {
  if (s.phase !== 'playing' || s.skip_votes_needed == null || p.id !== s.current) return '';
  return `<span class="tag tag-warn" data-testid="skip-votes-${p.id}" title="Votes to let the bot play this turn">skip ${s.skip_votes.length}/${s.skip_votes_needed}</span>`;
}

// State patches (README: "State patches"): RFC 6902 ops, of which the gateway sends `add`,
// `remove` and `replace`, applied to the last whole state message to make the next one.
import { epochOf } from './version.js';

/// The unescaped reference tokens of a JSON Pointer (RFC 6901).
function tokens(pointer) {
  if (pointer === '') return [];
  if (typeof pointer !== 'string' || !pointer.startsWith('/')) throw new Error(`bad path ${pointer}`);
  return pointer.slice(1).split('/').map((token) => {
    if (/~[^01]|~$/.test(token)) throw new Error(`bad escape in ${pointer}`);
    return token.replace(/~1/g, '/').replace(/~0/g, '~');
  });
}

function arrayIndex(array, token, op, last) {
  if (token === '-' && op === 'add' && last) return array.length;
  if (!/^(0|[1-9][0-9]{0,8})$/.test(token)) throw new Error(`bad index ${token}`);
  const index = Number(token);
  if (index > (op === 'add' && last ? array.length : array.length - 1)) throw new Error(`index ${index} out of range`);
  return index;
}

const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/// Applies `ops` to `document` and returns the result (the document is changed in place, so pass
/// a copy you may lose). Throws on an op that does not apply: the caller then needs a whole state.
export function applyPatch(document, ops) {
  if (!Array.isArray(ops)) throw new Error('ops is not an array');
  let root = document;
  for (const { op, path, value } of ops) {
    if (!['add', 'remove', 'replace'].includes(op)) throw new Error(`unsupported op ${op}`);
    if (op !== 'remove' && value === undefined) throw new Error(`${op} without a value`);
    const keys = tokens(path);
    if (keys.length === 0) {
      if (op === 'remove') throw new Error('cannot remove the document');
      root = value;
      continue;
    }
    let parent = root;
    for (let k = 0; k < keys.length - 1; k += 1) {
      const key = keys[k];
      if (Array.isArray(parent)) parent = parent[arrayIndex(parent, key, 'replace', false)];
      else if (parent !== null && typeof parent === 'object' && own(parent, key)) parent = parent[key];
      else throw new Error(`no ${path}`);
    }
    const key = keys[keys.length - 1];
    if (Array.isArray(parent)) {
      const index = arrayIndex(parent, key, op, true);
      if (op === 'add') parent.splice(index, 0, value);
      else if (op === 'remove') parent.splice(index, 1);
      else parent[index] = value;
    } else if (parent !== null && typeof parent === 'object') {
      if (op !== 'add' && !own(parent, key)) throw new Error(`no ${path}`);
      if (op === 'remove') delete parent[key];
      else parent[key] = value;
    } else {
      throw new Error(`no ${path}`);
    }
  }
  return root;
}

/// Follows one game's states through patches: `state` remembers each whole state (a private
/// copy), `patch` makes the next one from it. Null from `patch` means the chain is broken (a base
/// that is not our last seq in the same epoch, or an op that does not apply): only a whole state
/// helps then.
export class PatchFollower {
  constructor() {
    this.last = null;
    this.applied = 0; // patches applied, for tests
  }

  reset() {
    this.last = null;
  }

  state(message) {
    this.last = structuredClone(message);
    return message;
  }

  patch(message) {
    const last = this.last;
    this.last = null;
    const epoch = epochOf(message);
    if (!last || last.game !== message.game || last.seq !== message.base || epoch === null || epochOf(last) !== epoch) return null;
    let next;
    try {
      next = applyPatch(last, message.ops);
    } catch {
      return null;
    }
    if (!next || next.type !== 'state' || next.seq !== message.seq || epochOf(next) !== epoch) return null;
    this.applied += 1;
    this.last = next;
    return structuredClone(next);
  }
}

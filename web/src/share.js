// The page's state in the URL fragment: JSON, deflate-raw (CompressionStream), base64url, behind a
// version prefix. The fragment never reaches a server, so a link shares a result privately.

export const PREFIX = 'v1:';

function toBase64Url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

async function pipe(bytes, transform) {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The fragment (without `#`) for a state. */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + toBase64Url(await pipe(json, new CompressionStream('deflate-raw')));
}

const isFile = (f) => f && typeof f.name === 'string' && typeof f.text === 'string';

/**
 * Reads a fragment (with or without `#`). Returns {state} for a valid v1 link, {error} for a
 * link this page cannot read, or null when the fragment holds no state.
 */
export async function decodeState(fragment) {
  const frag = fragment.replace(/^#/, '');
  if (!frag) return null;
  const m = /^v(\d+):/.exec(frag);
  if (!m) return null;
  if (frag.slice(0, m[0].length) !== PREFIX) {
    return { error: `This link was made by another version of the page (format v${m[1]}); it cannot be opened here.` };
  }
  try {
    const bytes = await pipe(fromBase64Url(frag.slice(PREFIX.length)), new DecompressionStream('deflate-raw'));
    const s = JSON.parse(new TextDecoder().decode(bytes));
    if (!s || !Array.isArray(s.files) || !s.files.every(isFile)) throw new Error('no files');
    return {
      state: {
        files: s.files.map(({ name, text }) => ({ name, text })),
        active: Number.isInteger(s.active) && s.active >= -1 && s.active < s.files.length ? s.active : 0,
        profile: isFile(s.profile) ? { name: s.profile.name, text: s.profile.text } : { name: '.portmatrix.yaml', text: '' },
        drivers: Array.isArray(s.drivers) ? s.drivers.filter((d) => typeof d === 'string') : [],
        example: typeof s.example === 'string' ? s.example : null,
      },
    };
  } catch (e) {
    return { error: `This link is damaged and cannot be opened (${e.message}).` };
  }
}

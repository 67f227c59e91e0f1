// tokenizer_hf.js - the reference side of tests/tokenizer.test for
// tokenizer.json files (Llama 3.1, Qwen3, Gemma 3, GPT-2's own file).
//
//   node tokenizer_hf.js cases SPECIAL...          test inputs, one hex line
//        each (SPECIAL: special tokens of the models, written into some)
//   node tokenizer_hf.js rust MODULE JSON FLAG < cases    ids by Hugging Face
//        tokenizers itself (its Rust library, npm package `tokenizers`);
//        FLAG 1 adds special tokens
//   node tokenizer_hf.js lenml MODULE JSON FLAG < cases   ids by
//        @lenml/tokenizers (transformers.js's tokenizers in JavaScript)
//   node tokenizer_hf.js bytes KIND                random byte strings, hex:
//        KIND "any" (valid UTF-8 or not) or "ascii" (ASCII and bytes that
//        are never UTF-8 alone: 0x80-0xBF, 0xF8-0xFF), for round trips
//   node tokenizer_hf.js verify MODULE DIR         the hand-made tokenizers
//        of tests/check_tokenizer.c (written to DIR with SAEX_TOK_CASES):
//        each case of DIR/cases.tsv and DIR/decode.tsv through tokenizers;
//        prints the cases that differ and a count
//
// Each output line is the ids of the input line, comma-separated. Both
// references take JavaScript strings: the input bytes are decoded as UTF-8
// with U+FFFD for what is not (the inputs here are valid UTF-8; saex's own
// treatment of other bytes is tested apart).
'use strict';
const fs = require('fs');

const mode = process.argv[2];

function hexLines() {
  return fs.readFileSync(0, 'utf8').split('\n').slice(0, -1).map(h => Buffer.from(h, 'hex').toString('utf8'));
}

// ---------------------------------------------------------------- cases
function cases(specials) {
  const fixed = [
    '', ' ', '  ', '\n', '\t', ' \n ', 'Hello world', 'Hello, world!', ' Hello', 'Hello ', '  Hello  ',
    'The quick brown fox jumps over the lazy dog.',
    "it's", "don't", "IT'S", "DON'T", "I'M HE'D", "She's 's 't 're 've 'm 'll 'd", "'S 'T 'RE 'VE 'M 'LL 'D",
    "They'Re We'Ve", "''s", "rock'n'roll", 'it\u2019s',
    'a  b', 'a   b', 'a \tb', 'a\t b', 'a\n\nb', 'a \nb', 'a\r\nb', 'line\r\n\r\nnext', ' \n\n x', 'x \n\n',
    '\t\tindented();', '    four spaces', 'two  spaces  between  words  ', '\n\n\n\n', ' '.repeat(40),
    'def f(x):\n    return x * 2\n', 'int main(void) { return 0; }', 'for (i = 0; i < n; i++) {\n\t\ta[i] += b[i];\n}',
    '<div class="x">a &amp; b</div>', '{"key": [1, 2, 3], "k2": null}', 'SELECT * FROM t WHERE id = 42;',
    '1', '12', '123', '1234', '12345', '1234567890123456789012345', ' 42', '4 2', '3.14159265', '1,000,000.50',
    '2024-01-01T12:00:00Z', '0x7fffffff', '1st 2nd 3rd 4th', '$5.99 (x2)', '+1-555-0100',
    'https://example.com/path/to?q=1&r=two#frag', 'mailto:someone@example.org', 'ftp://x.y/z.tar.gz',
    'caf\u00e9 na\u00efve r\u00e9sum\u00e9', 'e\u0301t\u00e9', 'Stra\u00dfe', '\u00c5ngstr\u00f6m', 'Dvo\u0159\u00e1k',
    '\u0130stanbul \u0131', '\u212b \u2126 \u00c5', 'A\u030a', '\ufb01 \ufb02', '\u2460 \u2461 \u00b2',
    '\u65e5\u672c\u8a9e\u3067\u3059\u3002\u6771\u4eac\u3078\u884c\u304d\u307e\u3059\u3002',
    '\u4f60\u597d\uff0c\u4e16\u754c\uff01\u6211\u662f\u4e00\u4e2a\u6a21\u578b\u3002', '\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8',
    '\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u041a\u0430\u043a \u0434\u0435\u043b\u0430?',
    '\u03b3\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5',
    '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645', '\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd',
    '\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e', '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a',
    '\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0', '\u0532\u0561\u0580\u0587', '\u1200\u1208\u1218',
    '\u0bb5\u0ba3\u0b95\u0bcd\u0b95\u0bae\u0bcd', '\u0c28\u0c2e\u0c38\u0c4d\u0c15\u0c3e\u0c30\u0c02', '\u1780\u1798\u17d2\u1796\u17bb\u1787\u17b6',
    '\u0663\u0664\u0665 \u0966\u0967\u0968 \u2165 \u00bd', '\uff11\uff12\uff13\uff21\uff22\uff23',
    '\ud835\udc00\ud835\udc01 \ud835\udfce\ud835\udfcf',
    '\ud83d\ude00', '\ud83d\ude00\ud83d\ude00 \ud83d\ude00', '\ud83d\udc4d\ud83c\udffd', '\ud83d\udc4b\ud83c\udfff\ud83d\udc4b\ud83c\udffb',
    '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66', '\ud83c\udff3\ufe0f\u200d\ud83c\udf08',
    '\ud83c\uddef\ud83c\uddf5\ud83c\uddeb\ud83c\uddf7', '\u2764\ufe0f', 'I \u2764\ufe0f NY \ud83d\uddfd!',
    '\ud83e\uddd1\ud83c\udffd\u200d\ud83d\udcbb coding', '#\ufe0f\u20e3 1\ufe0f\u20e3',
    'a\u00a0b', 'a\u3000\u3000b', 'x\u2028y\u2029z', '\u2003em\u2003', 'tab\u000bvt\u000cff', '\u0085nel\u0085',
    'nul\u0000inside', '\u001b[31mred\u001b[0m', 'del\u007f', '\u0080\u009f c1', '\u202eevil\u202c',
    'zero\u200bwidth\u200c\u200d', 'soft\u00adhyphen', '\ufeffbom', '\ufffd replacement', '\ue000 private',
    '\u2581already\u2581meta', '\u0120not\u010a', '<0x41> <unk>',
    'Mixed 123 and \u00e9\u00e8 and \ud83d\ude00 and \u4e2d\u6587 and \u0661\u0662',
  ];
  const out = [...fixed];
  // special tokens written in the text: alone, inside words, twice, with
  // spaces, and broken
  for (const s of specials) {
    out.push(s, 'x' + s + 'y', ' ' + s + ' ', s + s, 'Hi ' + s + '\n' + s + 'there', s.slice(0, -1),
      s.slice(1), s + '>');
  }
  let seed = 20241202;
  const rnd = n => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const blocks = [
    [0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x30, 0x39], [0xa0, 0x17f], [0x300, 0x36f],
    [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff], [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff],
    [0x2000, 0x206f], [0x2150, 0x218b], [0x2190, 0x22ff], [0x2500, 0x25ff], [0x3000, 0x30ff],
    [0x4e00, 0x9fa5], [0xac00, 0xd7a3], [0xff00, 0xffef], [0x1d400, 0x1d7ff], [0x1f300, 0x1f64f],
    [0x1f900, 0x1f9ff], [0x20000, 0x2a6df],
  ];
  const ws = [' ', ' ', ' ', '  ', '   ', '\n', '\n\n', '\t', ' \n', '\r\n', ' \t '];
  const words = ['the', 'The', 'THE', 'of', 'and', 'model', 'token', 'ization', "n't", "'s", "'LL", 'x', '42',
    '2024', '1234567', 'caf\u00e9', '\u00fcber', '\u6f22\u5b57', 'http://a.b/c?d=1', 'foo_bar', 'fooBar', '...',
    '--', '!!', '?!', '(', ')', '{', '}', '[', ']', '"', "'", '\ud83d\ude80'];
  for (let k = 0; k < 300; k++) {
    let s = '';
    const parts = 1 + rnd(14);
    for (let w = 0; w < parts; w++) {
      const r = rnd(10);
      if (r < 5) {
        s += words[rnd(words.length)];
      } else if (r < 8) {
        const [lo, hi] = blocks[rnd(blocks.length)];
        const len = 1 + rnd(7);
        for (let i = 0; i < len; i++) {
          const cp = lo + rnd(hi - lo + 1);
          if (cp >= 0xd800 && cp <= 0xdfff) continue;
          s += String.fromCodePoint(cp);
        }
      } else if (r < 9 && specials.length) {
        s += specials[rnd(specials.length)];
      } else {
        s += String(rnd(1000000));
      }
      if (rnd(4)) s += ws[rnd(ws.length)];
    }
    out.push(s);
  }
  for (const s of out) process.stdout.write(Buffer.from(s, 'utf8').toString('hex') + '\n');
}

// ---------------------------------------------------------------- references
async function rust(mod, json, flag) {
  const { Tokenizer } = require(mod);
  const tok = Tokenizer.fromFile(json);
  for (const s of hexLines()) {
    const e = await tok.encode(s, null, { addSpecialTokens: flag === '1' });
    process.stdout.write(e.getIds().join(',') + '\n');
  }
}

function lenml(mod, json, flag) {
  const { TokenizerLoader } = require(mod);
  const cfg = json.replace(/tokenizer\.json$/, 'tokenizer_config.json');
  const tok = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(fs.readFileSync(json, 'utf8')),
    tokenizerConfig: fs.existsSync(cfg) ? JSON.parse(fs.readFileSync(cfg, 'utf8')) : {},
  });
  for (const s of hexLines()) {
    const ids = tok.encode(s, { add_special_tokens: flag === '1' });
    process.stdout.write(ids.join(',') + '\n');
  }
}

function bytes(kind) {
  let seed = 77;
  const rnd = n => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const pick = () => {
    if (kind === 'ascii') return rnd(3) ? 0x20 + rnd(95) : rnd(2) ? 0x80 + rnd(64) : 0xf8 + rnd(8);
    const r = rnd(6);
    return r < 2 ? 0x20 + rnd(95) : r < 3 ? [0x20, 0x0a, 0x09, 0x27][rnd(4)] : r < 4 ? 0xc0 + rnd(64) : rnd(256);
  };
  for (let k = 0; k < 300; k++) {
    const b = [];
    for (let i = 1 + rnd(40); i > 0; i--) b.push(pick());
    process.stdout.write(Buffer.from(b).toString('hex') + '\n');
  }
}

async function verify(mod, dir) {
  const { Tokenizer } = require(mod);
  const loaded = {};
  const load = f => loaded[f] || (loaded[f] = Tokenizer.fromFile(dir + '/' + f));
  const lines = f => fs.existsSync(dir + '/' + f) ? fs.readFileSync(dir + '/' + f, 'utf8').split('\n').filter(l => l) : [];
  let n = 0, bad = 0;
  for (const l of lines('cases.tsv')) {
    const [f, flags, hex, want] = l.split('\t');
    const text = Buffer.from(hex, 'hex').toString('utf8');
    const got = (await load(f).encode(text, null, { addSpecialTokens: flags === '1' })).getIds().join(',');
    n++;
    if (got !== want) {
      bad++;
      console.log(`# ${f} ${JSON.stringify(text)}: tokenizers [${got}], saex [${want}]`);
    }
  }
  for (const l of lines('decode.tsv')) {
    const [f, ids, hex] = l.split('\t');
    const got = await load(f).decode(ids.split(',').map(Number), false);
    const want = Buffer.from(hex, 'hex').toString('utf8');
    n++;
    if (got !== want) {
      bad++;
      console.log(`# ${f} decode ${ids}: tokenizers ${JSON.stringify(got)}, saex ${JSON.stringify(want)}`);
    }
  }
  console.log(`${n} ${bad}`);
}

if (mode === 'cases') {
  cases(process.argv.slice(3));
} else if (mode === 'rust') {
  rust(process.argv[3], process.argv[4], process.argv[5]).catch(e => { console.error(String(e)); process.exit(1); });
} else if (mode === 'lenml') {
  lenml(process.argv[3], process.argv[4], process.argv[5]);
} else if (mode === 'bytes') {
  bytes(process.argv[3]);
} else if (mode === 'verify') {
  verify(process.argv[3], process.argv[4]).catch(e => { console.error(String(e)); process.exit(1); });
} else {
  process.stderr.write('usage: node tokenizer_hf.js cases SPECIAL... | rust|lenml MODULE JSON FLAG | verify MODULE DIR\n');
  process.exit(2);
}

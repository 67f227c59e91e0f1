// tok_ref.js - the JavaScript side of bench/run_tok.sh.
//
//   node tok_ref.js text BYTES > FILE     mixed text of about BYTES bytes
//        (deterministic): prose, code, numbers, URLs, white space runs,
//        Cyrillic, Greek, CJK, Arabic, emoji
//   node tok_ref.js lenml MODULE JSON FILE   FILE encoded with
//        @lenml/tokenizers (no special tokens): MB/s and the token count
//   node tok_ref.js rust MODULE JSON FILE    the same with Hugging Face
//        tokenizers' npm package (its Rust library)
'use strict';
const fs = require('fs');

function text(bytes) {
  let seed = 11;
  const rnd = n => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const words = ('the of and to in is that for it as was with be by on not he this are or his from at which but ' +
    'have an they you were her she there been one all we their has would when if so no what can out up more about ' +
    'model token feature layer attention residual stream sparse autoencoder activation').split(' ');
  const scripts = ['\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440', '\u03b3\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5',
    '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8', '\u4e2d\u6587\u6587\u672c\u3002',
    '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645', '\ud55c\uad6d\uc5b4',
    'caf\u00e9 na\u00efve \u00fcber', '\ud83d\ude00\ud83d\udc4d\ud83c\udffd \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67'];
  const out = [];
  let size = 0;
  while (size < bytes) {
    const r = rnd(100);
    let s;
    if (r < 60) {
      const n = 5 + rnd(20);
      const w = [];
      for (let i = 0; i < n; i++) {
        let x = words[rnd(words.length)];
        if (!rnd(10)) x = x[0].toUpperCase() + x.slice(1);
        if (!rnd(30)) x += "'s";
        w.push(x);
      }
      s = w.join(' ') + (rnd(3) ? '. ' : '.\n\n');
    } else if (r < 75) {
      s = `def f${rnd(1000)}(x, y):\n    return x * ${rnd(100000)} + y  # ${words[rnd(words.length)]}\n`;
    } else if (r < 88) {
      s = scripts[rnd(scripts.length)] + ' ' + rnd(1000000000) + (rnd(2) ? '\n' : ' ');
    } else {
      s = `https://example.com/${words[rnd(words.length)]}/${rnd(99999)}?q=${words[rnd(words.length)]}&x=1\t` +
        '  '.repeat(rnd(5)) + '\n';
    }
    out.push(s);
    size += Buffer.byteLength(s);
  }
  process.stdout.write(out.join(''));
}

async function encode(kind, mod, json, file) {
  const t = fs.readFileSync(file, 'utf8');
  const mb = Buffer.byteLength(t) / 1e6;
  let count, t0, t1;
  if (kind === 'lenml') {
    const { TokenizerLoader } = require(mod);
    const cfg = json.replace(/tokenizer\.json$/, 'tokenizer_config.json');
    const tok = TokenizerLoader.fromPreTrained({
      tokenizerJSON: JSON.parse(fs.readFileSync(json, 'utf8')),
      tokenizerConfig: fs.existsSync(cfg) ? JSON.parse(fs.readFileSync(cfg, 'utf8')) : {},
    });
    t0 = process.hrtime.bigint();
    count = tok.encode(t, { add_special_tokens: false }).length;
    t1 = process.hrtime.bigint();
  } else {
    const { Tokenizer } = require(mod);
    const tok = Tokenizer.fromFile(json);
    t0 = process.hrtime.bigint();
    count = (await tok.encode(t, null, { addSpecialTokens: false })).getIds().length;
    t1 = process.hrtime.bigint();
  }
  const s = Number(t1 - t0) / 1e9;
  console.log(`${kind}: ${mb.toFixed(1)} MB into ${count} tokens in ${s.toFixed(3)} s: ${(mb / s).toFixed(2)} MB/s`);
  console.log(`RESULT mb_per_s=${(mb / s).toFixed(3)} tokens=${count}`);
}

const mode = process.argv[2];
if (mode === 'text') {
  text(Number(process.argv[3]));
} else if (mode === 'lenml' || mode === 'rust') {
  encode(mode, process.argv[3], process.argv[4], process.argv[5]).catch(e => { console.error(String(e)); process.exit(1); });
} else {
  process.stderr.write('usage: node tok_ref.js text BYTES | lenml|rust MODULE JSON FILE\n');
  process.exit(2);
}

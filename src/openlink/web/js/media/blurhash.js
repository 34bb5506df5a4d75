// A blurhash (the server's placeholder of a picture) decoded into a tiny image, shown
// behind the picture while it loads. The format: a size flag, the maximum AC value and
// a DC colour, then AC components, all in base 83 (see blurha.sh).

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

function base83(s) {
  let v = 0;
  for (const c of s) {
    const d = DIGITS.indexOf(c);
    if (d < 0) throw new Error("bad blurhash");
    v = v * 83 + d;
  }
  return v;
}

const toLinear = (v) => {
  const x = v / 255;
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (v) => {
  const x = Math.max(0, Math.min(1, v));
  return Math.round((x <= 0.0031308 ? x * 12.92 : 1.055 * x ** (1 / 2.4) - 0.055) * 255);
};
const signedSquare = (v) => Math.sign(v) * v * v;

/** RGBA pixels (width × height) of `hash`, or null if it is not a blurhash. */
export function decodeBlurhash(hash, width, height) {
  if (typeof hash !== "string" || hash.length < 6) return null;
  try {
    const size = base83(hash[0]);
    const nx = (size % 9) + 1;
    const ny = Math.floor(size / 9) + 1;
    if (hash.length !== 4 + 2 * nx * ny) return null;
    const max = (base83(hash[1]) + 1) / 166;
    const colours = [];
    const dc = base83(hash.slice(2, 6));
    colours.push([toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]);
    for (let i = 1; i < nx * ny; i++) {
      const v = base83(hash.slice(4 + i * 2, 6 + i * 2));
      colours.push([Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19].map((q) => signedSquare((q - 9) / 9) * max));
    }
    const px = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
            const c = colours[i + j * nx];
            r += c[0] * basis;
            g += c[1] * basis;
            b += c[2] * basis;
          }
        }
        const o = 4 * (x + y * width);
        px[o] = toSrgb(r);
        px[o + 1] = toSrgb(g);
        px[o + 2] = toSrgb(b);
        px[o + 3] = 255;
      }
    }
    return px;
  } catch {
    return null;
  }
}

const cache = new Map();

/** A data: URL of the placeholder (32 px wide), or null. Cached by hash. */
export function blurhashUrl(hash) {
  if (!hash) return null;
  if (cache.has(hash)) return cache.get(hash);
  const w = 32;
  const h = 32;
  const px = decodeBlurhash(hash, w, h);
  let url = null;
  if (px) {
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext("2d");
    if (g) {
      g.putImageData(new ImageData(px, w, h), 0, 0);
      url = canvas.toDataURL();
    }
  }
  if (cache.size > 200) cache.clear();
  cache.set(hash, url);
  return url;
}

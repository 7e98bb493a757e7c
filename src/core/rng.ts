/**
 * Seeded, platform-independent random numbers. Math.random is not seedable, and null
 * adapters, bootstrap resampling and perturbations must be bit-reproducible for a seed.
 * Generator: xoshiro128** (32-bit state words, so it is exact in JS integer arithmetic),
 * seeded through splitmix32 from a 32-bit integer seed. Normals: `normal()` is Box-Muller
 * in float64 (its stream is fixed: fixtures, bootstrap and perturbations rely on it);
 * `fillNormalF32` is a faster ziggurat (see below) with its own stream.
 */

/**
 * Version of the null-adapter draw (src/engine/adapter/null.ts) on this module's
 * generators, kept here because cached null statistics are keyed by it and probes cannot
 * import the engine. 1: Box-Muller `fillNormal`, A then B row-major. 2: `fillNormalF32`
 * (ziggurat), A row-major then B column by column.
 */
export const NULL_DRAW_VERSION = 2;

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

export class Rng {
  /** xoshiro128** state as int32 words (a typed array keeps one representation, so the JIT never deopts on it). */
  private readonly st = new Int32Array(4);
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let state = Math.trunc(seed) | 0;
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(state);
      state = next;
      this.st[i] = out;
    }
    if (this.st.every((w) => w === 0)) this.st[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const st = this.st;
    const s0 = st[0] as number;
    const s1 = st[1] as number;
    const s2 = (st[2] as number) ^ s0;
    const s3 = (st[3] as number) ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    st[0] = s0 ^ s3;
    st[1] = s1 ^ s2;
    st[2] = s2 ^ (s1 << 9);
    st[3] = rotl(s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, float64). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills a Float32Array with N(0, std^2) draws (computed in float64, stored as fp32). */
  fillNormal(out: Float32Array, std: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal() * std;
    return out;
  }

  /**
   * Fills `out` with N(0, std^2) draws by the ziggurat method, one 32-bit output per draw
   * on the fast path (97% of draws). A different stream from `normal()`; same seed, same
   * bits on every platform (integer and IEEE basic operations only).
   */
  fillNormalF32(out: Float32Array, std = 1): Float32Array {
    // xoshiro128** inlined on locals: this loop is the hot path of every null adapter. The
    // rare cases (a wedge test, the tail) need further words: `pending` says what the next
    // word is for, so every word comes from the same inlined step.
    const st = this.st;
    let s0 = st[0] as number;
    let s1 = st[1] as number;
    let s2 = st[2] as number;
    let s3 = st[3] as number;
    let pending = 0; // 0: a new draw; 1: the wedge test of x; 2, 3: the tail's two uniforms
    let x = 0;
    let sign = 1;
    let layer = 0;
    const n = out.length;
    let i = 0;
    while (i < n) {
      const m = Math.imul(s1, 5);
      const u = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (pending === 0) {
        const j = u >>> 8;
        if (j < (ZIG_K[u & 127] as number)) {
          out[i++] = j * (ZIG_WS[u & 255] as number) * std;
          continue;
        }
        layer = u & 127;
        sign = (u & 128) === 0 ? 1 : -1;
        x = j * (ZIG_W[layer] as number);
        pending = layer === 0 ? 2 : 1;
      } else if (pending === 1) {
        // Wedge: accept when a uniform height under the layer's top lies under f(x); else a new draw.
        const f0 = ZIG_F[layer] as number;
        const f1 = ZIG_F[layer - 1] as number;
        if (f0 + openUnit(u) * (f1 - f0) < portableExp(-0.5 * x * x)) out[i++] = sign * x * std;
        pending = 0;
      } else if (pending === 2) {
        // Tail beyond R (Marsaglia): x = -ln(U1)/R, y = -ln(U2), accept R + x when 2y > x^2.
        x = -portableLog(openUnit(u)) / ZIG_R;
        pending = 3;
      } else {
        const y = -portableLog(openUnit(u));
        if (y + y > x * x) {
          out[i++] = sign * (ZIG_R + x) * std;
          pending = 0;
        } else pending = 2;
      }
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Derives a stable 32-bit seed from a base seed and a string (e.g. a prompt). FNV-1a over UTF-8. */
export function deriveSeed(seed: number, text: string): number {
  let h = 0x811c9dc5 ^ (Math.trunc(seed) | 0);
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit word as a uniform in the open interval (0, 1). */
function openUnit(w: number): number {
  return ((w >>> 0) + 0.5) / 4294967296;
}

/*
 * exp and log from IEEE basic operations only. Math.exp and Math.log are implementation-
 * approximated in ECMAScript, so they may differ by an ulp between engines; the ziggurat's
 * tables and rare cases use these instead, so a seed gives the same bits everywhere.
 * Accuracy: within a few ulp of the true value (range reduction by ln 2 split in two,
 * then a Taylor / atanh series well past double precision).
 */
const LN2_HI = 0.6931471803691238; // ln 2 to 32 bits: k * LN2_HI is exact for |k| < 2^20
const LN2_LO = 1.9082149292705877e-10;
const LOG2E = 1.4426950408889634;
const SQRT2 = 1.4142135623730951;
const EXP_COEFFS = Array.from({ length: 15 }, (_, n) => {
  let c = 1;
  for (let k = 2; k <= n; k++) c /= k;
  return c;
});
const [, , E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13, E14] = EXP_COEFFS as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
const ATANH_COEFFS = Array.from({ length: 12 }, (_, k) => 2 / (2 * k + 1));
/** 2^k for k in [-64, 64], built by exact doubling and halving. */
const POW2 = new Float64Array(129);
POW2[64] = 1;
for (let k = 1; k <= 64; k++) {
  POW2[64 + k] = (POW2[63 + k] as number) * 2;
  POW2[64 - k] = (POW2[65 - k] as number) * 0.5;
}

export function portableExp(x: number): number {
  if (!(x <= 709.8)) return Number.isNaN(x) ? NaN : Infinity;
  if (x < -745.2) return 0;
  let k = Math.round(x * LOG2E);
  const r = x - k * LN2_HI - k * LN2_LO;
  const p = 1 + r * (1 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8 + r * (E9 + r * (E10 + r * (E11 + r * (E12 + r * (E13 + r * E14)))))))))))));
  if (k >= -64 && k <= 64) return p * (POW2[k + 64] as number);
  // Far out: scale by 2^k in steps that stay normal (each exact), then one rounding.
  let q = p;
  for (; k > 0; k--) q *= 2;
  for (; k < -1000; k++) q *= 0.5;
  let scale = 1;
  for (; k < 0; k++) scale *= 0.5;
  return q * scale;
}

export function portableLog(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  let m = x;
  let e = 0;
  while (m >= SQRT2) {
    m *= 0.5;
    e++;
  }
  while (m < SQRT2 / 2) {
    m *= 2;
    e--;
  }
  // ln m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.172.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let p = ATANH_COEFFS[ATANH_COEFFS.length - 1] as number;
  for (let k = ATANH_COEFFS.length - 2; k >= 0; k--) p = p * s2 + (ATANH_COEFFS[k] as number);
  return e * LN2_HI + (s * p + e * LN2_LO);
}

/*
 * Ziggurat tables (Marsaglia & Tsang 2000, 128 layers) for the standard normal's right
 * half f(x) = exp(-x^2/2). ZIG_X[i] (i = 1..127) is the right edge of layer i, computed in
 * 50-digit arithmetic with R solved so the top layer ends at f(0) = 1 exactly, and written
 * here as literals so no platform recomputes them. Layer 0 is the base strip: width
 * ZIG_Q = V / f(R) (V = each layer's area), the tail beyond R folded in.
 *
 * A draw takes one 32-bit word: bits 0-6 pick the layer, bit 7 the sign, bits 8-31 a
 * 24-bit position j; x = j * W[layer]. When j < K[layer], x lies under the layer above
 * (or inside [0, R) for the base) and is returned at once.
 */
const ZIG_R = 3.4426198558966523;
const ZIG_Q = 3.7130862467403634;
const ZIG_X = [
  0,
  0.2723208647046638, 0.3628714310284183, 0.42654798630330515, 0.47743783725378786, 0.5206560387251449,
  0.558692178375518, 0.592962942441978, 0.6243585973090883, 0.6534786387150424, 0.6807479186459042,
  0.706479611313608, 0.7309119106218813, 0.75423066443451, 0.7765839878761484, 0.7980920606262748,
  0.8188539066833177, 0.8389522142812075, 0.8584568431780508, 0.8774274290977156, 0.8959153525662386,
  0.9139652510088018, 0.9316161966013539, 0.9489026254979119, 0.9658550793881306, 0.9825008035027604,
  0.9988642334806435, 1.0149673952392995, 1.0308302360564556, 1.0464709007525803, 1.0619059636836194,
  1.0771506248819376, 1.0922188768965537, 1.1071236475235353, 1.121876922572254, 1.1364898520030755,
  1.150972842138976, 1.1653356361550469, 1.1795873846544607, 1.1937367078237722, 1.2077917504067577,
  1.2217602305309625, 1.235649483254481, 1.2494664995643336, 1.2632179614460282, 1.2769102735516997,
  1.290549591917873, 1.3041418501204216, 1.317692783201343, 1.3312079496576765, 1.344692751745713,
  1.3581524543224228, 1.3715922024197322, 1.3850170377251487, 1.3984319141236063, 1.4118417124397602,
  1.4252512545068616, 1.4386653166774612, 1.4520886428822164, 1.4655259573357946, 1.4789819769830979,
  1.4924614237746154, 1.5059690368565504, 1.5195095847593707, 1.533087877667556, 1.5467087798535035,
  1.5603772223598407, 1.5740982160167498, 1.5878768648844006, 1.601718380215277, 1.615628095037133,
  1.6296114794646783, 1.6436741568569826, 1.6578219209482075, 1.6720607540918522, 1.6863968467734862,
  1.700836618564301, 1.7153867407081165, 1.7300541605582436, 1.7448461281083765, 1.759770224894232,
  1.7748343955807693, 1.790046982594619, 1.8054167642140488, 1.8209529965910052, 1.836665460253384,
  1.8525645117230871, 1.868661140989542, 1.8849670357028692, 1.9014946531003176, 1.9182573008597321,
  1.9352692282919002, 1.9525457295488888, 1.9701032608497133, 1.9879595741230607, 2.006133869958967,
  2.024646973372934, 2.0435215366506694, 2.0627822745039635, 2.0824562379877247, 2.1025731351849988,
  2.12316570866979, 2.1442701823562613, 2.1659267937448408, 2.1881804320720204, 2.211081408874728,
  2.234686395587057, 2.2590595738653296, 2.2842740596736566, 2.310413683695002, 2.337575241335531,
  2.3658713701139877, 2.3954342780074676, 2.4264206455302118, 2.45901817740835, 2.493454522091951,
  2.5300096723854666, 2.569033625921639, 2.610972248428613, 2.6564064112581924, 2.7061135731187225,
  2.761169372384154, 2.8231253505459666, 2.894344007018671, 2.978696252645017, 3.0832288582142136,
  3.2230849845786187, 3.4426198558966523,
];
const TWO24 = 16777216;
/** f at each layer's right edge (f(0) = 1 for the top layer's upper bound). */
const ZIG_F = new Float64Array(128);
/** Layer width per unit of j. */
const ZIG_W = new Float64Array(128);
/** Signed widths by the word's low 8 bits (layer and sign), for a branch-free fast path. */
const ZIG_WS = new Float64Array(256);
/** j below K[layer] is under the layer above: accepted without a test. */
const ZIG_K = new Int32Array(128);
ZIG_F[0] = 1;
ZIG_W[0] = ZIG_Q / TWO24;
ZIG_K[0] = Math.floor((ZIG_R / ZIG_Q) * TWO24);
for (let i = 1; i < 128; i++) {
  const x = ZIG_X[i] as number;
  ZIG_F[i] = portableExp(-0.5 * x * x);
  ZIG_W[i] = x / TWO24;
  ZIG_K[i] = Math.floor(((ZIG_X[i - 1] as number) / x) * TWO24);
}
for (let i = 0; i < 128; i++) {
  ZIG_WS[i] = ZIG_W[i] as number;
  ZIG_WS[i + 128] = -(ZIG_W[i] as number);
}

// Run the fill once at load so V8 has type feedback for its rare branches and the code after
// its loop before it first optimizes the loop; otherwise that first optimized version
// deoptimizes at the end of every call.
new Rng(0).fillNormalF32(new Float32Array(1024));

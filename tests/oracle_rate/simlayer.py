"""Layer 2 of the rate oracle: the Gaussian-copula simulation of docs/rating.md §4, bit for bit.

Generators reproduced from their third-party definitions (constants in consts.json):
  * rand_core 0.9 `seed_from_u64` (PCG32 expansion of the u64 into the 32-byte key),
  * rand_chacha 0.9 ChaCha8 (4 double rounds, 64-bit block counter in words 12-13, the stream
    id in words 14-15; `set_stream(p)` from word position 0), BlockRng::next_u64 = two
    consecutive u32 words, low first,
  * rand_distr 0.5.1 StandardNormal (Ziggurat with the ZIG_NORM tables; rand 0.9's
    StandardUniform f64 = (u64 >> 11) * 2^-53 and Open01 = from_bits((u64 >> 12) | 1.0's
    exponent) - (1 - eps/2)),
  * statrs 0.18 Normal(0,1): cdf = 0.5 * erfc((0 - x) / (1 * SQRT_2)), inverse_cdf =
    0 - (1 * SQRT_2 * erfc_inv(2x)), erfc/erfc_inv the Boost-style rational approximations,
  * nalgebra 0.33 Cholesky::new (column j: col_j[j..] += (-L_jk) * col_k[j..] for k < j, then
    sqrt of the diagonal and the column below divided by it).
What ipabs does with them is read from docs/rating.md §1, §3, §4, §5 only.
"""
import json, math, os, struct, subprocess
from decimal import Decimal
from fractions import Fraction
import numpy as np
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
MUT = os.environ.get("ORACLE_MUT", "")
C = json.load(open(os.path.join(HERE, "consts.json")))
SQRT_2 = 1.4142135623730951  # f64::consts::SQRT_2
M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


# ------------------------------------------------------------------ rand_core seed_from_u64
def seed_from_u64(state):
    MUL, INC = 6364136223846793005, 11634580027462260723
    words = []
    for _ in range(8):
        state = (state * MUL + INC) & M64
        xs = (((state >> 18) ^ state) >> 27) & M32
        rot = state >> 59
        words.append(((xs >> rot) | (xs << ((32 - rot) & 31))) & M32)
    return words  # key words (the LE bytes read back as u32)


# ------------------------------------------------------------------ ChaCha block (numpy, vectorised)
def _rotl(v, n):
    return (v << np.uint32(n)) | (v >> np.uint32(32 - n))


def chacha_blocks(key, streams, counter, drounds=4):
    """ChaCha with `drounds` double rounds: one 16-word block per stream id, at `counter`."""
    P = len(streams)
    streams = np.asarray(streams, dtype=np.uint64)
    init = [np.full(P, w, dtype=np.uint32) for w in (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)]
    init += [np.full(P, k, dtype=np.uint32) for k in key]
    init += [np.full(P, counter & M32, dtype=np.uint32), np.full(P, counter >> 32, dtype=np.uint32),
             (streams & np.uint64(M32)).astype(np.uint32), (streams >> np.uint64(32)).astype(np.uint32)]
    x = [a.copy() for a in init]

    def qr(a, b, c, d):
        x[a] += x[b]; x[d] = _rotl(x[d] ^ x[a], 16)
        x[c] += x[d]; x[b] = _rotl(x[b] ^ x[c], 12)
        x[a] += x[b]; x[d] = _rotl(x[d] ^ x[a], 8)
        x[c] += x[d]; x[b] = _rotl(x[b] ^ x[c], 7)

    with np.errstate(over="ignore"):
        for _ in range(drounds):
            qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
            qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
        out = np.stack([x[i] + init[i] for i in range(16)], axis=1)
    return out  # (P, 16) uint32


class U64Stream:
    """next_u64 of ChaCha8Rng(seed) with set_stream(p), from word 0: the u64 sequence of the
    keystream (words 2i, 2i+1). Blocks pre-generated for all paths; more on demand."""

    def __init__(self, key, stream, pre_words):
        self.key, self.stream = key, stream
        self.words = list(pre_words)
        self.pos = 0

    def next_u64(self):
        if self.pos + 1 >= len(self.words):
            blk = len(self.words) // 16
            self.words += [int(w) for w in chacha_blocks(self.key, [self.stream], blk)[0]]
        lo, hi = self.words[self.pos], self.words[self.pos + 1]
        self.pos += 2
        return (lo | (hi << 32)) if MUT != "u64_hi_first" else (hi | (lo << 32))


def f64_from_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


EPS = 2.220446049250313e-16
ZX, ZF, ZR = C["ZIG_NORM_X"], C["ZIG_NORM_F"], C["ZIG_NORM_R"]


def std_uniform(rng):
    return float(rng.next_u64() >> 11) * (1.0 / 9007199254740992.0)


def open01(rng):
    return f64_from_bits((rng.next_u64() >> 12) | (1023 << 52)) - (1.0 - EPS / 2.0)


def standard_normal(rng):
    while True:
        bits = rng.next_u64()
        i = bits & 0xFF
        u = f64_from_bits((bits >> 12) | (1024 << 52)) - 3.0
        x = u * ZX[i]
        if abs(x) < ZX[i + 1]:
            return x
        if i == 0:
            xx, yy = 1.0, 0.0
            while -2.0 * yy < xx * xx:
                x_ = open01(rng)
                y_ = open01(rng)
                xx = math.log(x_) / ZR
                yy = math.log(y_)
            return xx - ZR if u < 0.0 else ZR - xx
        if ZF[i + 1] + (ZF[i] - ZF[i + 1]) * std_uniform(rng) < math.exp(-x * x / 2.0):
            return x


# ------------------------------------------------------------------ statrs erfc / erfc_inv
def poly(z, c):
    s = c[-1]
    for k in reversed(c[:-1]):
        s = k + z * s
    return s


_ERF_BANDS = [(0.75, 0.5, "B", 0.3440242112), (1.25, 0.75, "C", 0.419990927), (2.25, 1.25, "D", 0.4898625016),
              (3.5, 2.25, "E", 0.5317370892), (5.25, 3.5, "F", 0.5489973426), (8.0, 5.25, "G", 0.5571740866),
              (11.5, 8.0, "H", 0.5609807968), (17.0, 11.5, "I", 0.5626493692), (24.0, 17.0, "J", 0.5634598136),
              (38.0, 24.0, "K", 0.5638477802), (60.0, 38.0, "L", 0.5640528202), (85.0, 60.0, "M", 0.5641309023),
              (110.0, 85.0, "N", 0.5641584396)]


def erf_impl(z, inv):
    if z < 0.0:
        if not inv:
            return -erf_impl(-z, False)
        if z < -0.5:
            return 2.0 - erf_impl(-z, True)
        return 1.0 + erf_impl(-z, False)
    if z < 0.5:
        if z < 1e-10:
            result = z * 1.125 + z * 0.003379167095512573896158903121545171688
        else:
            result = z * 1.125 + z * poly(z, C["ERF_IMPL_AN"]) / poly(z, C["ERF_IMPL_AD"])
    elif z < 110.0:
        for hi, off, L, b in _ERF_BANDS:
            if z < hi:
                r = poly(z - off, C[f"ERF_IMPL_{L}N"]) / poly(z - off, C[f"ERF_IMPL_{L}D"])
                break
        g = math.exp(-z * z) / z
        result = g * b + g * r
    else:
        result = 0.0
    if inv and z >= 0.5:
        return result
    elif z >= 0.5 or inv:
        return 1.0 - result
    return result


def erfc(x):
    if math.isnan(x):
        return x
    if x == math.inf:
        return 0.0
    if x == -math.inf:
        return 2.0
    return erf_impl(x, True)


def erf_inv_impl(p, q, s):
    if p <= 0.5:
        y = 0.0891314744949340820313
        g = p * (p + 10.0)
        r = poly(p, C["ERF_INV_IMPL_AN"]) / poly(p, C["ERF_INV_IMPL_AD"])
        result = g * y + g * r
    elif q >= 0.25:
        y = 2.249481201171875
        g = math.sqrt(-2.0 * math.log(q))
        xs = q - 0.25
        r = poly(xs, C["ERF_INV_IMPL_BN"]) / poly(xs, C["ERF_INV_IMPL_BD"])
        result = g / (y + r)
    else:
        x = math.sqrt(-math.log(q))
        for lim, y, off, L in ((3.0, 0.807220458984375, 1.125, "C"), (6.0, 0.93995571136474609375, 3.0, "D"),
                               (18.0, 0.98362827301025390625, 6.0, "E"), (44.0, 0.99714565277099609375, 18.0, "F"),
                               (math.inf, 0.99941349029541015625, 44.0, "G")):
            if x < lim:
                xs = x - off
                r = poly(xs, C[f"ERF_INV_IMPL_{L}N"]) / poly(xs, C[f"ERF_INV_IMPL_{L}D"])
                result = y * x + r * x
                break
    return s * result


def erfc_inv(x):
    if x <= 0.0:
        return math.inf
    if x >= 2.0:
        return -math.inf
    if x > 1.0:
        return erf_inv_impl(-1.0 + x, 2.0 - x, -1.0)
    return erf_inv_impl(1.0 - x, x, 1.0)


def norm_cdf(x):
    return 0.5 * erfc((0.0 - x) / (1.0 * SQRT_2))


def norm_inv(p):
    return 0.0 - (1.0 * SQRT_2 * erfc_inv(2.0 * p))


# ------------------------------------------------------------------ nalgebra Cholesky
def cholesky_or_fail(A):
    """(L, None), or (None, j) with j the first column whose pivot is not positive."""
    n = len(A)
    M = [row[:] for row in A]
    for j in range(n):
        for k in range(j):
            factor = -M[j][k]
            for i in range(j, n):
                M[i][j] = factor * M[i][k] * 1.0 + 1.0 * M[i][j]
        diag = M[j][j]
        if not diag > 0.0:  # zero, negative or NaN
            return None, j
        d = math.sqrt(diag)
        M[j][j] = d
        for i in range(j + 1, n):
            M[i][j] = M[i][j] / d
    return [[M[i][j] if j <= i else 0.0 for j in range(n)] for i in range(n)], None


def cholesky(A):
    return cholesky_or_fail(A)[0]


def cholesky_fail_index(A):
    """index of the first column whose pivot is not positive (None when PD)"""
    return cholesky_or_fail(A)[1]


# ------------------------------------------------------------------ the model (docs §1, §3, §4)
def corr_of(a, b, cm):
    def same(x, y):
        return x is not None and y is not None and (x.strip() == y.strip() if MUT != "tags_untrimmed" else x == y)
    sr, si = same(a["region"], b["region"]), same(a["industry"], b["industry"])
    if sr and si:
        return cm["same_region_and_industry"]
    if sr:
        return cm["same_region"]
    if si:
        return cm["same_industry"]
    return cm["neither"]


def inv_term(row, v):
    """t with PD(t) = v for a PD-table row (§2 linear term structure)."""
    if v <= row[0]:
        return v / row[0]
    for y in range(1, 10):
        a, b = row[y - 1], row[y]
        if v <= b and b > a:
            return y + (v - a) / (b - a)
    return 10.0


def layer2(case, deal, rm, outdir, paths, seed, cmp, quick=False, ipabs=None):
    from rate_oracle import PD_TABLE, credits_of, pd_at, CORR_DEFAULT, rnd
    pd_table = PD_TABLE if "pd" not in rm else [(k, [float(x) for x in v]) for k, v in rm["pd"].items()]
    table = dict(pd_table)
    cm = dict(CORR_DEFAULT)
    for k, v in rm.get("correlation", {}).items():
        cm[k] = float(v)
    credits = list(credits_of(deal, pd_table))
    # §7 "Support providers as credits": a support with `tags` makes its provider a credit,
    # drawn after the pool's credits; term T_P = cutoff -> last payment date (ACT/365F).
    provs = []
    last_pay = max(deal.pay_dates)
    for sp in deal.toml.get("supports", []):
        tg = sp.get("tags")
        if not tg or any(p["name"] == sp["provider"].strip() for p in provs):
            continue
        tg = {k: str(v) for k, v in tg.items()}
        T = (last_pay - deal.cutoff).days / 365.0
        c = dict(members=[], name=sp["provider"].strip(), region=tg.get("region"), industry=tg.get("industry"),
                 rating=tg.get("rating"), pd=tg.get("pd"), term=T, provider_index=len(deal.obligors) + len(provs))
        c["pd_T"] = pd_at(table[c["rating"].strip()], T) if c["rating"] is not None else float(c["pd"])
        provs.append(c)
    if MUT == "providers_by_first_support":
        first = []
        for sp in deal.toml.get("supports", []):
            if sp["provider"].strip() not in first:
                first.append(sp["provider"].strip())
        provs.sort(key=lambda c: first.index(c["name"]))
        for j, c in enumerate(provs):
            c["provider_index"] = len(deal.obligors) + j
    credits += provs
    n = len(credits)
    A = [[1.0 if i == j else corr_of(credits[i], credits[j], cm) for j in range(n)] for i in range(n)]
    L = cholesky(A)
    if L is None:
        return "not positive definite"
    thr = []
    for c in credits:
        p = c["pd_T"]
        thr.append(None if p <= 0 else (math.inf if p >= 1 else norm_inv(p)))
    # collection periods and per-obligor exposure at default by period
    periods = deal.periods  # (period, start, end) 1-based
    idx = {o["name"]: i for i, o in enumerate(deal.obligors)}
    expo = {}
    for o in deal.obligors:
        ex = []
        cum = Decimal(0)
        for pi, (pn, st, en) in enumerate(periods):
            if o["generated"]:
                ex.append(o["balance"] - cum)
                cum += o["flow_principal"][pi]
            else:
                ex.append(sum((p for d, p in o["inst"] if d >= st or MUT == "ead_full_balance"), Decimal(0)))
        expo[o["name"]] = ex
    pool = Fraction(deal.pool())
    key = seed_from_u64(seed)
    NW = 16 * max(1, -(-(n + 6) // 8))  # pre-generated words per path
    counts, patterns = {}, {}
    z_first = []
    BATCH = 4096
    for b0 in range(0, paths, BATCH):
        ps = np.arange(b0, min(paths, b0 + BATCH), dtype=np.uint64)
        words = np.concatenate([chacha_blocks(key, ps, blk) for blk in range(NW // 16)], axis=1)
        Z = np.empty((len(ps), n))
        for r, p in enumerate(ps):
            rng = U64Stream(key, int(p), words[r].tolist())
            for k in range(n):
                Z[r, k] = standard_normal(rng)
        X = np.empty_like(Z)
        for i in range(n):
            acc = np.full(len(ps), -0.0)
            for k in range(i + 1):
                acc = acc + L[i][k] * Z[:, k]
            X[:, i] = acc
        if b0 == 0:
            z_first = [Z[0].tolist(), X[0].tolist()]
        for r in range(len(ps)):
            pat = []
            total = Fraction(0)
            for i, c in enumerate(credits):
                t_ = thr[i]
                if t_ is None:
                    continue
                x = X[r, i]
                if not (t_ == math.inf or x < t_):
                    continue
                v = norm_cdf(x)
                if c["rating"] is not None:
                    t = inv_term(table[c["rating"].strip()], v)
                else:
                    t = v * c["term"] / float(c["pd"])
                t = min(t, c["term"])
                day = deal.cutoff + __import__("datetime").timedelta(days=math.floor(365.0 * t))
                per = next((pi for pi, (pn, st, en) in enumerate(periods) if en >= day), len(periods) - 1)
                if "provider_index" in c:
                    pat.append((c["provider_index"], per))
                for o in c["members"]:
                    pat.append((idx[o["name"]], per))
                    total += Fraction(expo[o["name"]][per])
            frac = rnd(total / pool)
            counts[frac] = counts.get(frac, 0) + 1
            key_ = ";".join(f"{a}:{b}" for a, b in sorted(pat))
            patterns[key_] = patterns.get(key_, 0) + 1
    # compare with default_distribution.parquet
    dd = pq.read_table(os.path.join(outdir, "default_distribution.parquet")).to_pylist()
    got = {r["defaulted_fraction"]: r["paths"] for r in dd}
    ok_dd = cmp.eq("sim: default distribution {fraction: paths}", dict(sorted(counts.items())), dict(sorted(got.items())))
    res = dict(distinct=len(counts), dd_exact=ok_dd, providers=len(provs))
    # patterns from one shard of the whole run (docs/scale-out.md `patterns`)
    if ipabs:
        sd = os.path.join(os.path.dirname(outdir), "shard")
        subprocess.run([ipabs, "rate", deal.path, "--out", sd, "--paths", str(paths), "--seed", str(seed),
                        "--shard", "0/1", "--force", "-q", "--threads", "2"] +
                       (["--scenarios", rm["_path"]] if rm.get("_path") else []), capture_output=True)
        f = os.path.join(sd, "patterns", "shards=1", "shard=0", "part-0.parquet")
        if os.path.exists(f):
            gp = {r["pattern"]: r["paths"] for r in pq.read_table(f).to_pylist()}
            ok_p = cmp.eq("sim: default patterns {obligor:period: paths}", dict(sorted(patterns.items())), dict(sorted(gp.items())))
            res["patterns_exact"] = ok_p
            res["patterns"] = len(patterns)
            if not ok_p:
                diff = [(k, patterns.get(k), gp.get(k)) for k in sorted(set(patterns) | set(gp)) if patterns.get(k) != gp.get(k)]
                res["pattern_diff_first"] = diff[:5]
    if not ok_dd:
        res["diff_first"] = [(str(k), counts.get(k), got.get(k)) for k in sorted(set(counts) | set(got)) if counts.get(k) != got.get(k)][:5]
        res["path0"] = z_first
    return res

#!/usr/bin/env python3
"""Mutation fuzzer of every ipabs command (docs/robustness.md, "Mutation fuzzing of the
commands"; written for review 33a).

Usage: python3 scripts/fuzz_commands.py [--budget SECONDS] [--seed N] [--max-cases N]
       [--only deal|scen|act|text] [--rated]

It mutates the repository's deals, scenario files and actuals (a key deleted or retyped,
numeric extremes, dates swapped, names duplicated or made CJK, units slips, waterfall
reorders, text-level damage), runs the commands on them and records what breaks the
project's standards: an exit code other than 0/1/2 (4 for reconcile), a panic, a timeout, a
conservation message, an unlocated error, output left behind after exit 2, a units slip or
reorder accepted with no warning, and output that differs between one and two threads.

The binary is $IPABS (default target/release/ipabs); the work directory $IPABS_FUZZ_DIR
(default /tmp/ipabs-fuzz), where results.jsonl (every case) and anomalies.jsonl (cases kept
under cases/ID) are written. Every process runs under `nice -n 10` with a 60 s timeout, one at
a time. It reads the repository and never writes to it.
"""
import argparse, copy, datetime as dt, glob, hashlib, json, os, random, re, shutil, subprocess, sys, time
import tomllib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_tomlw import dumps, Raw

MAIN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get('IPABS', f'{MAIN}/target/release/ipabs')
ROOT = os.environ.get('IPABS_FUZZ_DIR', '/tmp/ipabs-fuzz')
os.makedirs(ROOT, exist_ok=True)
CASES = f'{ROOT}/cases'
TIMEOUT = 60

# ---------------------------------------------------------------- seeds
DEAL_SEEDS = sorted(set(glob.glob(f'{MAIN}/deals/*.toml')) - {f'{MAIN}/deals/cohort.toml'}) + \
    sorted(glob.glob(f'{MAIN}/tests/bad_deals/valid/*.toml')) + \
    [f'{MAIN}/tests/fixtures/{n}.toml' for n in ('hand_worked', 'accounts', 'auditing')] + \
    [f'{MAIN}/tests/fixtures/portfolio/{n}.toml' for n in ('alpha', 'beta')]
SCEN_SEEDS = [f'{MAIN}/deals/scenarios/cohort.toml', f'{MAIN}/tests/fixtures/portfolio/rating.toml']
ACT_SEEDS = {  # deal -> actuals
    f'{MAIN}/tests/fixtures/auditing.toml': f'{MAIN}/tests/fixtures/auditing_actuals.toml',
    f'{MAIN}/tests/bad_deals/valid/base.toml': f'{MAIN}/tests/bad_actuals/valid/base.toml',
}

def load(path):
    with open(path, 'rb') as f:
        return tomllib.load(f)

# ---------------------------------------------------------------- running
STATS = {'procs': 0, 'secs': 0.0}

def run(args, cwd=None):
    t0 = time.time()
    try:
        p = subprocess.run(['nice', '-n', '10', 'timeout', '-s', 'KILL', str(TIMEOUT), BIN] + args,
                           capture_output=True, cwd=cwd, timeout=TIMEOUT + 10)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = 'timeout', b'', b''
    el = time.time() - t0
    STATS['procs'] += 1
    STATS['secs'] += el
    if rc == 137 or rc == -9:
        rc = 'timeout'
    return rc, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace'), el

def tree_digest(d):
    """sha256 of every file under d (relative path -> digest)."""
    res = {}
    if not os.path.isdir(d):
        return res
    for dp, dn, fn in os.walk(d):
        for f in fn:
            p = os.path.join(dp, f)
            with open(p, 'rb') as fh:
                res[os.path.relpath(p, d)] = hashlib.sha256(fh.read()).hexdigest()
    return res

# ---------------------------------------------------------------- tree helpers
def walk(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))

def get(node, path):
    for p in path:
        node = node[p]
    return node

def setp(node, path, v):
    get(node, path[:-1])[path[-1]] = v

def pstr(path):
    s = ''
    for p in path:
        s += f'[{p}]' if isinstance(p, int) else ('.' if s else '') + str(p)
    return s

def is_num(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or \
        (isinstance(v, str) and re.fullmatch(r'-?\d+(\.\d+)?', v or 'x') is not None)

def numval(v):
    return float(v) if isinstance(v, str) else float(v)

RATE_KEYS = {'coupon', 'rate', 'recovery_rate', 'cdr', 'cpr', 'default_rate', 'threshold', 'spread',
             'fraction', 'growth', 'target_multiple', 'price_share', 'pool_factor_below',
             'reinvestment_rate', 'csdc_fee_rate', 'cap', 'floor', 'pd', 'index_shift', 'share',
             'base_default_rate', 'discount_rate', 'lpr_1y', 'lpr_5y'}
MONEY_KEYS = {'balance', 'amount', 'principal', 'interest', 'cap_total', 'cap_per_period', 'target',
              'initial', 'collection', 'reserve', 'fixed', 'max_amount', 'price'}

def fmt_money(x):
    s = f'{x:.2f}'
    return s

# ---------------------------------------------------------------- mutations
EXTREMES = [0, -1, Raw('1e-30'), Raw('1e30'), Raw('0.' + '1' * 30), Raw('999999999999999.99'),
            '999999999999999.99', '1000000000000000', Raw('-0.0'), Raw('inf'), Raw('nan'),
            Raw('9223372036854775808'), 9223372036854775807, '0.000000000000000000000000000001',
            Raw('1e15'), '99999999999999.99', '0.001', Raw('0.9999999999999999'), 1, Raw('1.0'),
            Raw('5e-324'), '1' + '0' * 40, Raw('123.456789012345678901234567890')]
LIMITS = {  # key -> values just past documented limits
    'term': [0, 601, 2400, -1], 'recovery_lag_months': [121, -1], 'months': [121, -1],
    'collection_lag_days': [-1, 10000, 366], 'collection_lag_business_days': [-1, 1000, 250],
    'rate': [1, Raw('1.0'), Raw('0.99999'), -0.01], 'coupon': [1, Raw('0.99999'), -0.01],
    'recovery_rate': [Raw('1.0000001'), -0.0001], 'cdr': [1, Raw('0.9999999')], 'cpr': [1, Raw('0.9999999')],
    'default_rate': [Raw('1.0000001')], 'threshold': [0, -1, 1e9], 'target_multiple': [100, Raw('100.01'), 101],
    'fraction': [Raw('1.0000001'), -0.5],
}
CJK = ['天河区知识产权', '名称', '😀🚀', 'A\u200bB', 'e\u0301', '\u202eRTL', ' padded ', 'tab\tname',
       'new\nline', 'nul\u0000x', 'esc\u001b[31mred', '中' * 500, 'Ａ', 'ﬁ', 'Ǆ', '\ufeffbom']
DATES = [dt.date(1989, 12, 31), dt.date(1990, 1, 1), dt.date(2100, 12, 31), dt.date(2101, 1, 1),
         Raw('2023-02-29'), Raw('2024-13-01'), dt.datetime(2024, 1, 1, 10, 0), Raw('2024-01-01T00:00:00Z'),
         Raw('00:00:00'), dt.date(1, 1, 1), dt.date(9999, 12, 31)]

def choose_path(rng, d, pred):
    cands = [p for p, v in walk(d) if p and pred(p, v)]
    return rng.choice(cands) if cands else None

def m_delete(rng, d):
    p = choose_path(rng, d, lambda p, v: isinstance(get(d, p[:-1]), dict))
    if p is None: return None
    del get(d, p[:-1])[p[-1]]
    return f'delete {pstr(p)}'

def m_type(rng, d):
    p = choose_path(rng, d, lambda p, v: not isinstance(v, (dict,)) or len(p) > 1)
    if p is None: return None
    new = rng.choice(['abc', 123, 1.5, True, [], {}, dt.date(2024, 1, 1), '', [1, 2], {'x': 1}, '1,200,000', '120万', '１２３'])
    setp(d, p, new)
    return f'type {pstr(p)} = {new!r}'

def m_extreme(rng, d):
    p = choose_path(rng, d, lambda p, v: is_num(v))
    if p is None: return None
    k = p[-1] if isinstance(p[-1], str) else (p[-2] if len(p) > 1 else '')
    pool = EXTREMES + LIMITS.get(k, []) * 3
    new = rng.choice(pool)
    setp(d, p, new)
    return f'extreme {pstr(p)} = {new!r}'

def m_date(rng, d):
    dates = [p for p, v in walk(d) if p and isinstance(v, dt.date)]
    if not dates: return None
    op = rng.choice(['swap', 'dup', 'shift', 'extreme'])
    if op == 'swap' and len(dates) > 1:
        a, b = rng.sample(dates, 2)
        va, vb = get(d, a), get(d, b)
        setp(d, a, vb); setp(d, b, va)
        return f'swap dates {pstr(a)} <-> {pstr(b)}'
    p = rng.choice(dates)
    if op == 'dup':
        par = get(d, p[:-1])
        if isinstance(par, list):
            par.insert(p[-1], par[p[-1]])
            return f'duplicate date {pstr(p)}'
        # duplicate an array entry that holds the date
        for i in range(len(p) - 1, 0, -1):
            if isinstance(p[i], int):
                arr = get(d, p[:i])
                arr.insert(p[i], copy.deepcopy(arr[p[i]]))
                return f'duplicate entry {pstr(p[:i + 1])}'
        return None
    if op == 'shift':
        v = get(d, p)
        delta = rng.choice([-366, -365, -1, 1, 365, 3650])
        try:
            nv = (v if not isinstance(v, dt.datetime) else v.date()) + dt.timedelta(days=delta)
        except OverflowError:
            return None
        setp(d, p, nv)
        return f'shift {pstr(p)} by {delta}d -> {nv}'
    nv = rng.choice(DATES)
    setp(d, p, nv)
    return f'date {pstr(p)} = {nv!r}'

def named_arrays(d):
    res = []
    for p, v in walk(d):
        if isinstance(v, list) and len(v) >= 1 and all(isinstance(e, dict) and isinstance(e.get('name'), str) for e in v):
            res.append(p)
    return res

def m_dupname(rng, d):
    arrs = [p for p in named_arrays(d) if len(get(d, p)) >= 2]
    if not arrs: return None
    p = rng.choice(arrs)
    arr = get(d, p)
    i, j = rng.sample(range(len(arr)), 2)
    arr[i]['name'] = arr[j]['name']
    return f'duplicate name {pstr(p)}[{i}].name = {arr[j]["name"]!r}'

def m_dupentry(rng, d):
    arrs = named_arrays(d)
    if not arrs: return None
    p = rng.choice(arrs)
    arr = get(d, p)
    i = rng.randrange(len(arr))
    arr.append(copy.deepcopy(arr[i]))
    return f'duplicate whole entry {pstr(p)}[{i}]'

def m_empty(rng, d):
    p = choose_path(rng, d, lambda p, v: isinstance(v, (list, dict)))
    if p is None: return None
    v = get(d, p)
    setp(d, p, [] if isinstance(v, list) else {})
    return f'empty {pstr(p)}'

def m_longstr(rng, d):
    p = choose_path(rng, d, lambda p, v: isinstance(v, str))
    if p is None: return None
    n = rng.choice([500, 5000, 200000, 3000000])
    s = rng.choice(['x', '知', '😀', 'a\u0301'])
    setp(d, p, s * n)
    return f'long string {pstr(p)} = {s!r}*{n}'

def rename_all(node, old, new):
    if isinstance(node, dict):
        for k in list(node):
            v = node[k]
            if v == old: node[k] = new
            else: rename_all(v, old, new)
            if k == old:  # keys naming items (prices = { A = .. }, tranches.A)
                node[new] = node.pop(k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if v == old: node[i] = new
            else: rename_all(v, old, new)

def m_unicode(rng, d, others=()):
    arrs = named_arrays(d)
    if not arrs: return None
    p = rng.choice(arrs)
    arr = get(d, p)
    i = rng.randrange(len(arr))
    old = arr[i]['name']
    new = rng.choice(CJK)
    for x in (d,) + tuple(others):
        rename_all(x, old, new)
    return f'rename {old!r} -> {new!r} everywhere'

def m_unknown(rng, d):
    p = choose_path(rng, d, lambda p, v: isinstance(v, dict)) or ()
    t = get(d, p)
    if t and rng.random() < 0.5:
        k = rng.choice(list(t))
        nk = k[:-1] if len(k) > 3 else k + 's'
        if nk in t: nk = k + '_x'
    else:
        nk = rng.choice(['zz_unknown', 'comment', '备注', 'Name', 'notes'])
    t[nk] = rng.choice([1, 'x', True])
    return f'unknown key {pstr(p + (nk,))}'

def m_reorder(rng, d):
    wf = d.get('waterfalls', {})
    names = [k for k, v in wf.items() if isinstance(v, list) and len(v) >= 2]
    if not names: return None
    w = rng.choice(names)
    steps = wf[w]
    op = rng.choice(['shuffle', 'swap_adjacent', 'reverse', 'move_last_first'])
    old = copy.deepcopy(steps)
    if op == 'shuffle': rng.shuffle(steps)
    elif op == 'swap_adjacent':
        i = rng.randrange(len(steps) - 1); steps[i], steps[i + 1] = steps[i + 1], steps[i]
    elif op == 'reverse': steps.reverse()
    else: steps.insert(0, steps.pop())
    if steps == old: return None
    # An earlier mutation may have made a step something other than a table.
    def step(s):
        if not isinstance(s, dict):
            return repr(s)
        return f"{s.get('action')}{s.get('tranches', s.get('tranche', s.get('fees', '')))}"
    return f'reorder waterfalls.{w} ({op}): ' + ' | '.join(step(s) for s in steps)

def m_percent(rng, d):
    p = choose_path(rng, d, lambda p, v: is_num(v) and p[-1] in RATE_KEYS and 0 < numval(v) < 1)
    if p is None: return None
    v = get(d, p)
    nv = round(numval(v) * 100, 10)
    nv = Raw(repr(nv)) if not isinstance(v, str) else repr(nv)
    setp(d, p, nv)
    return f'UNITS percent {pstr(p)}: {v!r} -> {nv!r}'

def m_wan(rng, d, whole=None):
    cands = [p for p, v in walk(d) if p and isinstance(p[-1], str) and p[-1] in MONEY_KEYS and is_num(v) and numval(v) >= 10000
             and p[0] not in ('scenario',)]
    if not cands: return None
    if whole is None: whole = rng.random() < 0.3
    ps = cands if whole else [rng.choice(cands)]
    for p in ps:
        v = get(d, p)
        nv = numval(v) / 10000
        nv = f'{nv:.2f}'.rstrip('0').rstrip('.') if isinstance(v, str) else Raw(f'{nv:.2f}'.rstrip('0').rstrip('.'))
        setp(d, p, nv)
    return f'UNITS wanyuan {"ALL " + str(len(ps)) if whole else pstr(ps[0])}'

MUTS = [m_delete, m_type, m_extreme, m_date, m_dupname, m_dupentry, m_empty, m_longstr, m_unicode,
        m_unknown, m_reorder, m_percent, m_wan]
WEIGHTS = [6, 5, 8, 6, 3, 2, 3, 1, 3, 3, 5, 6, 6]

# text mutations (keep comments and layout)
def t_mut(rng, text):
    lines = text.split('\n')
    op = rng.choice(['dupline', 'delline', 'swaplines', 'truncate', 'badbyte', 'crlf_bom', 'indent'])
    if op == 'dupline':
        i = rng.randrange(len(lines)); lines.insert(i, lines[i])
    elif op == 'delline':
        i = rng.randrange(len(lines)); del lines[i]
    elif op == 'swaplines':
        i = rng.randrange(len(lines) - 1); lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif op == 'truncate':
        b = text.encode(); n = rng.randrange(len(b))
        return b[:n], f'text truncate at byte {n}'
    elif op == 'badbyte':
        b = bytearray(text.encode()); n = rng.randrange(len(b))
        b[n:n] = rng.choice([b'\xff', b'\xe5\xa4', b'\x00', b'\xc0\x80'])
        return bytes(b), f'text bad byte at {n}'
    elif op == 'crlf_bom':
        return ('\ufeff' + text.replace('\n', '\r\n')).encode(), 'text BOM+CRLF'
    elif op == 'indent':
        i = rng.randrange(len(lines)); lines[i] = '\t  ' + lines[i]
    return '\n'.join(lines).encode(), f'text {op} line {i + 1}'

# ---------------------------------------------------------------- scenario and actuals generation
def obligor_names(deal):
    return [o['name'] for o in deal.get('obligors', []) if isinstance(o, dict) and 'name' in o]

def make_scen(deal, rng):
    obs = obligor_names(deal)
    sups = [s['name'] for s in deal.get('supports', []) if isinstance(s, dict) and 'name' in s]
    trs = [t['name'] for t in deal.get('tranches', []) if isinstance(t, dict) and 'name' in t]
    cut = deal['deal']['cutoff_date']
    s = {'scenarios': [{'name': 'base'},
                       {'name': 'stress', 'defaults': [{'obligor': obs[0], 'date': cut + dt.timedelta(days=40)}],
                        'recovery_rate': 0.3, 'recovery_lag_months': 3, 'cdr': 0.02}],
         'grid': {'name': 'g', 'cdr': [0, 0.05], 'recovery_rate': [0.3, 0.6]},
         'rating': {'base_default_rate': 0.05}}
    if sups:
        s['grid']['supports_off'] = [[], [sups[0]]]
    if trs:
        s['pricing'] = {'prices': {trs[0]: 100.1}}
    if rng.random() < 0.5:
        s['rating_model'] = {'large_obligor_test': True, 'large_obligor_loss': 0.95, 'single_obligor_multiplier': True,
                             'originator_factor': 1.0,
                             'correlation': {'same_region_and_industry': 0.4, 'same_region': 0.25, 'same_industry': 0.35, 'neither': 0.1},
                             'pd': {'AAA': [0.00015, 0.0002, 0.0006, 0.00105, 0.002, 0.0035, 0.0045, 0.006, 0.0075, 0.009],
                                    'AA': [0.0007, 0.0013, 0.0027, 0.0053, 0.007, 0.0085, 0.01, 0.012, 0.014, 0.0175],
                                    'A+': [0.002, 0.004, 0.008, 0.012, 0.016, 0.02, 0.025, 0.03, 0.035, 0.04],
                                    'A': [0.003, 0.006, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05],
                                    'A-': [0.004, 0.008, 0.012, 0.018, 0.024, 0.03, 0.036, 0.042, 0.048, 0.06],
                                    'BBB': [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1],
                                    'B': [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]}}
    return s

def make_actuals(deal_path, deal, nper=2):
    """Actuals from the deal's own base run (should reconcile with exit 0)."""
    out = f'{ROOT}/tmp_act_run'
    shutil.rmtree(out, ignore_errors=True)
    rc, o, e, el = run(['run', deal_path, '--out', out, '-q'])
    if rc != 0:
        return None
    import pyarrow.parquet as pq
    per = pq.read_table(f'{out}/periods.parquet').to_pylist()
    pf = pq.read_table(f'{out}/pool_flows.parquet').to_pylist()
    tf = pq.read_table(f'{out}/tranche_flows.parquet').to_pylist()
    fe = pq.read_table(f'{out}/fees.parquet').to_pylist()
    act = {'actuals': {'deal': deal['deal']['name']}, 'periods': []}
    for r in per[:nper]:
        n = r['period']
        obl = {}
        for f in pf:
            if f['period'] == n:
                o = obl.setdefault(f['obligor'], dict(principal=0, interest=0, prepayments=0, defaults=0, recoveries=0))
                o['principal'] += float(f['principal_collected'] or 0) - float(f['prepaid'] or 0)
                o['interest'] += float(f['interest_collected'] or 0)
                o['prepayments'] += float(f['prepaid'] or 0)
                o['defaults'] += float(f['defaulted'] or 0)
                o['recoveries'] += float(f['recovered'] or 0)
        pool = {k: fmt_money(sum(o[k] for o in obl.values())) for k in ('principal', 'interest', 'prepayments', 'defaults', 'recoveries')}
        P = {'period': n, 'payment_date': r['payment_date'], 'pool': pool}
        P['fees'] = {f['name']: fmt_money(float(f['paid'])) for f in fe if f['period'] == n and f['kind'] == 'fee'}
        if not P['fees']: del P['fees']
        tx = {f['name']: fmt_money(float(f['paid'])) for f in fe if f['period'] == n and f['kind'] == 'tax'}
        if tx: P['taxes'] = tx
        P['tranches'] = {t['tranche']: {'interest': fmt_money(float(t['interest_paid'])), 'principal': fmt_money(float(t['principal_paid']))}
                         for t in tf if t['period'] == n}
        acc = {'collection': fmt_money(float(r['collection_balance_end']))}
        if 'reserve' in deal:
            acc['reserve'] = fmt_money(float(r['reserve_balance_end']))
        P['accounts'] = acc
        act['periods'].append(P)
    shutil.rmtree(out, ignore_errors=True)
    return act

# ---------------------------------------------------------------- oracles
LOC_RE = re.compile(r'^error: (.+?):(\d+):(\d+): (\S.*?): ')
CLI_OK = ('unexpected argument', 'invalid value', 'required arguments', 'cannot read', 'already exists',
          'with --strict', 'is not a valid', 'states one scenario', 'Usage:', "isn't a valid", 'error: a value is required')

def check_error(err, files):
    """Return a list of problems with the error text of an exit-2 run."""
    probs = []
    lines = err.split('\n')
    errs = [l for l in lines if l.startswith('error:')]
    if not errs:
        probs.append('exit 2 without an error: line')
        return probs
    for i, l in enumerate(lines):
        if not l.startswith('error:'):
            continue
        if re.match(r'^error: \d+ errors?$', l) or re.match(r'^error: \d+ warning', l):
            continue
        m = LOC_RE.match(l)
        if m:
            fname, ln = m.group(1), int(m.group(2))
            # show-line check: the next ' NN | text' line must be the file's line NN
            src = files.get(os.path.basename(fname))
            if src is not None:
                flines = src.replace('\r\n', '\n').split('\n')
                if ln > len(flines) or ln < 0:
                    probs.append(f'line {ln} beyond file ({len(flines)} lines): {l[:200]}')
            continue
        if any(c in l for c in CLI_OK):
            continue
        if re.match(r'^error: scenario `.*`', l) or re.match(r'^error: (deal/)?scenario', l):
            probs.append('RUNTIME-located (scenario/period, no file): ' + l[:300])
            continue
        probs.append('UNLOCATED: ' + l[:300])
    return probs

def soft_conservation(out):
    """Independent period cash check from periods.parquet (run tables)."""
    import pyarrow.parquet as pq
    p = f'{out}/periods.parquet'
    if not os.path.exists(p):
        return []
    probs = []
    try:
        rows = pq.read_table(p).to_pylist()
    except Exception as e:
        return [f'periods.parquet unreadable: {e}']
    from decimal import Decimal as D
    for r in rows:
        sc = r['scenario']
        for k in ('pool_cash', 'available_funds', 'collection_balance_end', 'reserve_balance_end', 'pool_balance_end', 'senior_balance_end'):
            if r.get(k) is not None and D(str(r[k])) < 0:
                probs.append(f'negative {k} scenario {sc} period {r["period"]}: {r[k]}')
    return probs

# ---------------------------------------------------------------- case execution
ANOM = open(f'{ROOT}/anomalies.jsonl', 'a')
RES = open(f'{ROOT}/results.jsonl', 'a')
CASE_N = [0]

def new_case_dir():
    CASE_N[0] += 1
    d = f'{CASES}/{CASE_N[0]:05d}'
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d

def write(d, name, content):
    p = f'{d}/{name}'
    with open(p, 'wb') as f:
        f.write(content if isinstance(content, bytes) else content.encode('utf-8', 'surrogatepass'))
    return p

DET_CMDS = {'sweep', 'breakeven', 'rate', 'size', 'portfolio'}

def execute(cdir, case, cmd, files, expect_warn=False, det=False):
    """Run one command; return (record, anomalies)."""
    out = f'{cdir}/out'
    shutil.rmtree(out, ignore_errors=True)
    args = [a.replace('{OUT}', out) for a in cmd]
    rc, so, se, el = run(args, cwd=cdir)
    rec = dict(case=case['id'], muts=case['muts'], cmd=args, rc=rc, secs=round(el, 3),
               warn=se.count('warning:'), err_head=[l[:300] for l in se.split('\n') if l.startswith('error')][:3])
    anomalies = []
    kind = args[0]
    if rc == 'timeout' or el > 60:
        anomalies.append('TIMEOUT/over 60 s')
    elif rc not in (0, 1, 2) and not (kind == 'reconcile' and rc == 4):
        anomalies.append(f'exit code {rc}')
    if 'panicked' in se or 'RUST_BACKTRACE' in se:
        anomalies.append('panic text on stderr')
    if 'conserv' in se.lower():
        anomalies.append('conservation text on stderr')
    if el > 10:
        anomalies.append(f'slow: {el:.1f}s')
    if rc == 2:
        for p in check_error(se, files):
            anomalies.append('error quality: ' + p)
        if os.path.exists(out) and os.listdir(out):
            anomalies.append('output dir left after exit 2: ' + ','.join(sorted(os.listdir(out))[:10]))
        for extra in ('csvout', 'x.xlsx'):
            if os.path.exists(f'{cdir}/{extra}'):
                anomalies.append(f'{extra} left after exit 2')
    if rc == 1:
        if os.path.exists(out) and os.listdir(out):
            anomalies.append('output dir left after exit 1: ' + ','.join(sorted(os.listdir(out))[:10]))
    if rc == 0 and expect_warn and 'warning:' not in se and kind in ('check', 'run'):
        anomalies.append('SILENT units slip / misorder (exit 0, no warning)')
    if rc in (0, 4) and kind in ('run', 'reconcile'):
        anomalies += soft_conservation(out)
    if det and rc in (0, 4) and kind in DET_CMDS:
        d1 = tree_digest(out)
        out2 = f'{cdir}/out2'
        shutil.rmtree(out2, ignore_errors=True)
        args2 = [a.replace(out, out2) for a in args]
        ti = args2.index('--threads')
        args2[ti + 1] = '1' if args2[ti + 1] == '2' else '2'
        rc2, so2, se2, el2 = run(args2, cwd=cdir)
        d2 = tree_digest(out2)
        if rc2 != rc:
            anomalies.append(f'threads: exit {rc} vs {rc2}')
        elif d1 != d2:
            diff = sorted(k for k in set(d1) | set(d2) if d1.get(k) != d2.get(k))
            anomalies.append('NONDETERMINISTIC between --threads 1 and 2: ' + ','.join(diff[:8]))
        shutil.rmtree(out2, ignore_errors=True)
        rec['det_checked'] = True
    rec['anomalies'] = anomalies
    RES.write(json.dumps(rec, default=str, ensure_ascii=False) + '\n')
    if anomalies:
        rec['stderr'] = se[-4000:]
        ANOM.write(json.dumps(rec, default=str, ensure_ascii=False) + '\n')
        ANOM.flush()
    RES.flush()
    shutil.rmtree(out, ignore_errors=True)
    return rec, anomalies

def senior_name(deal):
    for t in deal.get('tranches', []) or []:
        if isinstance(t, dict) and t.get('class') == 'senior' and isinstance(t.get('name'), str):
            return t['name']
    return 'A'

def has_ratings(deal):
    obs = deal.get('obligors', [])
    return isinstance(obs, list) and obs and all(isinstance(o, dict) and isinstance(o.get('tags'), dict) and ('rating' in o['tags'] or 'pd' in o['tags']) for o in obs)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=1800)
    ap.add_argument('--seed', type=int, default=33)
    ap.add_argument('--max-cases', type=int, default=100000)
    ap.add_argument('--only', default=None, help='deal|scen|act|text')
    ap.add_argument('--rated', action='store_true', help='rated deals; rate/size/breakeven/sweep/portfolio only')
    a = ap.parse_args()
    rng = random.Random(a.seed)
    global RATED
    RATED = a.rated
    if a.rated:
        DEAL_SEEDS[:] = [p for p in DEAL_SEEDS if has_ratings(load(p))]
    os.makedirs(CASES, exist_ok=True)
    deals = {p: load(p) for p in DEAL_SEEDS}
    texts = {p: open(p, encoding='utf-8').read() for p in DEAL_SEEDS}
    acts = {} if a.rated else {dp: load(ap_) for dp, ap_ in ACT_SEEDS.items()}
    # generated actuals for two more deals
    for dp in (() if a.rated else (f'{MAIN}/deals/tianzhi_1_2024.toml', f'{MAIN}/deals/wenke_leasing_1_2018.toml', f'{MAIN}/tests/fixtures/hand_worked.toml')):
        g = make_actuals(dp, deals[dp])
        if g: acts[dp] = g
    scen_files = {p: load(p) for p in SCEN_SEEDS}
    t_start = time.time()
    n = 0
    while time.time() - t_start < a.budget and n < a.max_cases:
        n += 1
        kind = a.only or (rng.choice(['deal', 'scen']) if a.rated else rng.choices(['deal', 'scen', 'act', 'text'], [55, 20, 12, 13])[0])
        cdir = new_case_dir()
        case = {'id': os.path.basename(cdir), 'muts': []}
        expect_warn = False
        if kind == 'act':
            dp = rng.choice(list(acts))
            deal = copy.deepcopy(deals[dp]); act = copy.deepcopy(acts[dp])
            k = rng.choice([1, 1, 2])
            for _ in range(k):
                f = rng.choices(MUTS + ['unknown_name'], WEIGHTS + [4])[0]
                if f == 'unknown_name':
                    r = act_unknown(rng, act)
                elif f is m_unicode:
                    r = m_unicode(rng, act, others=())
                else:
                    r = f(rng, act)
                if r: case['muts'].append('actuals: ' + r)
            case['muts'].insert(0, os.path.basename(dp))
            files = {'deal.toml': texts[dp], 'act.toml': dumps(act)}
            write(cdir, 'deal.toml', texts[dp]); write(cdir, 'act.toml', files['act.toml'])
            if rng.random() < 0.8:
                cmd = ['reconcile', 'deal.toml', '--actuals', 'act.toml', '--out', '{OUT}']
                if rng.random() < 0.3: cmd += ['--csv', 'csvout', '--xlsx', 'x.xlsx']
            else:
                cmd = ['notice', 'deal.toml', '--period', str(rng.choice([1, 2, 3])), '--actuals', 'act.toml']
            execute(cdir, case, cmd, files)
        elif kind == 'scen':
            dp = rng.choice(DEAL_SEEDS)
            deal = deals[dp]
            if rng.random() < 0.3:
                sp = rng.choice(SCEN_SEEDS); sc = copy.deepcopy(scen_files[sp])
            else:
                sc = make_scen(deal, rng)
            k = rng.choice([1, 1, 2])
            for _ in range(k):
                f = rng.choices(MUTS + ['unknown_name'], WEIGHTS + [8])[0]
                r = scen_unknown(rng, sc, deal) if f == 'unknown_name' else f(rng, sc)
                if r: case['muts'].append('scen: ' + r)
            case['muts'].insert(0, os.path.basename(dp))
            files = {'deal.toml': texts[dp], 'scen.toml': dumps(sc)}
            write(cdir, 'deal.toml', texts[dp]); write(cdir, 'scen.toml', files['scen.toml'])
            cmd = pick_cmd(rng, deal, scen=True)
            execute(cdir, case, cmd, files, det='--threads' in cmd)
        elif kind == 'text':
            dp = rng.choice(DEAL_SEEDS)
            b, r = t_mut(rng, texts[dp])
            case['muts'].append(f'{os.path.basename(dp)}: {r}')
            write(cdir, 'deal.toml', b)
            files = {'deal.toml': b.decode('utf-8', 'replace')}
            execute(cdir, case, ['check', 'deal.toml'], files)
            execute(cdir, case, ['run', 'deal.toml', '--out', '{OUT}', '-q'], files)
        else:
            dp = rng.choice(DEAL_SEEDS)
            deal = copy.deepcopy(deals[dp])
            case['muts'].append(os.path.basename(dp))
            k = rng.choices([1, 2], [70, 30])[0]
            for _ in range(k):
                f = rng.choices(MUTS, WEIGHTS)[0]
                r = f(rng, deal)
                if r:
                    case['muts'].append(r)
                    if f in (m_percent, m_wan, m_reorder): expect_warn = True
            if len(case['muts']) == 1:
                shutil.rmtree(cdir); CASE_N[0] -= 1; n -= 1
                continue
            try:
                txt = dumps(deal)
            except Exception as e:
                case['muts'].append(f'(unwritable: {e})'); continue
            files = {'deal.toml': txt}
            write(cdir, 'deal.toml', txt)
            rec, an = execute(cdir, case, ['check', 'deal.toml'], files, expect_warn=expect_warn)
            if rec['rc'] == 0:
                cmd = pick_cmd(rng, deal, scen=False)
                execute(cdir, case, cmd, files, det='--threads' in cmd)
            else:
                execute(cdir, case, ['run', 'deal.toml', '--out', '{OUT}', '-q'], files)
        # keep the case dir only if an anomaly was recorded for it
        if not case_has_anomaly(case['id']):
            shutil.rmtree(cdir, ignore_errors=True)
        if n % 50 == 0:
            print(f'{n} cases, {STATS["procs"]} procs, {STATS["secs"]:.0f}s proc time, {time.time() - t_start:.0f}s wall', flush=True)
    print(f'DONE {n} cases, {STATS["procs"]} procs, {STATS["secs"]:.0f}s', flush=True)

ANOM_IDS = set()
_orig_write = ANOM.write
def _w(s):
    ANOM_IDS.add(json.loads(s)['case'])
    return _orig_write(s)
ANOM.write = _w

def case_has_anomaly(cid):
    return cid in ANOM_IDS

def act_unknown(rng, act):
    ps = act.get('periods', [])
    if not ps: return None
    P = rng.choice(ps) if isinstance(ps, list) else None
    if not isinstance(P, dict): return None
    op = rng.choice(['tranche', 'fee', 'obligor', 'trigger', 'period', 'support'])
    if not all(isinstance(P.get(k, {}), dt) for k, dt in (('tranches', dict), ('fees', dict), ('supports', dict), ('obligors', list))): return None
    if op == 'tranche': P.setdefault('tranches', {})['NOPE'] = {'interest': 0, 'principal': 0}
    elif op == 'fee': P.setdefault('fees', {})['nope_fee'] = 100
    elif op == 'obligor': P.setdefault('obligors', []).append({'name': 'NOPE', 'principal': 1, 'interest': 0})
    elif op == 'trigger': P['triggers'] = ['nope_trigger']
    elif op == 'support': P.setdefault('supports', {})['nope'] = 0
    else: P['period'] = 99
    return f'unknown {op} in actuals'

def scen_unknown(rng, sc, deal):
    s = sc.get('scenarios')
    if not isinstance(s, list) or not s: return None
    S = rng.choice(s)
    if not isinstance(S, dict): return None
    op = rng.choice(['defaults', 'supports_off', 'overrides', 'grid_obl', 'pricing', 'tag', 'support_failures', 'events'])
    cut = deal['deal']['cutoff_date']
    if op == 'defaults': S['defaults'] = [{'obligor': 'NoSuchObligor', 'date': cut + dt.timedelta(days=30)}]
    elif op == 'supports_off': S['supports_off'] = ['no_such_support']
    elif op == 'overrides': S['overrides'] = [{'obligor': 'NoSuchObligor', 'cdr': 0.1}]
    elif op == 'tag': S['overrides'] = [{'tag': 'industry:nonexistent', 'cdr': 0.1}]
    elif op == 'grid_obl': sc['grid'] = {'defaulted_obligors': [[], ['NoSuchObligor']], 'name': 'gx'}
    elif op == 'pricing': sc['pricing'] = {'prices': {'NoSuchTranche': 100}}
    elif op == 'support_failures': S['support_failures'] = [{'support': 'no_such_support', 'date': cut + dt.timedelta(days=30)}]
    else: S['events'] = [{'name': 'no_such_event', 'date': cut + dt.timedelta(days=30)}]
    return f'unknown name: {op}'

RATED = False
def pick_cmd(rng, deal, scen):
    c = rng.choice(['run', 'sweep', 'sweep', 'breakeven', 'rate', 'size', 'notice', 'portfolio', 'check'])
    if RATED: c = rng.choice(['sweep', 'breakeven', 'rate', 'rate', 'size', 'size', 'portfolio'])
    th = rng.choice(['1', '2'])
    sa = ['--scenarios', 'scen.toml'] if scen else []
    if c == 'run': return ['run', 'deal.toml', '--out', '{OUT}', '-q'] + (['--scenario', 'scen.toml'] if scen else [])
    if c == 'check': return ['check', 'deal.toml'] + (['--scenario', 'scen.toml'] if scen else [])
    if c == 'sweep':
        extra = ['--stress', 'standard'] if (not scen or rng.random() < 0.5) else []
        return ['sweep', 'deal.toml', '--out', '{OUT}', '-q', '--threads', th, '--flows'] + sa + extra
    if c == 'breakeven':
        return ['breakeven', 'deal.toml', '--out', '{OUT}', '-q', '--threads', th, '--stress', 'standard'] + sa
    if c == 'rate':
        return ['rate', 'deal.toml', '--paths', '2000', '--out', '{OUT}', '-q', '--threads', th] + sa
    if c == 'size':
        return ['size', 'deal.toml', '--paths', '2000', '--target', f'{senior_name(deal)}=AAA', '--out', '{OUT}', '-q', '--threads', th] + sa
    if c == 'notice':
        return ['notice', 'deal.toml', '--period', '1'] + (['--scenario', 'scen.toml'] if scen else [])
    return ['portfolio', 'deal.toml', f'{MAIN}/tests/fixtures/portfolio/alpha.toml', '--out', '{OUT}', '-q', '--threads', th, '--stress', 'standard'] + sa

if __name__ == '__main__':
    main()

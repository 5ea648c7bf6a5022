"""A small TOML writer (no third-party package available)."""
import datetime, math, re

class Raw(str):
    """Literal TOML text, written as is (e.g. a number with 30 decimals)."""

BARE = re.compile(r'^[A-Za-z0-9_-]+$')

def key(k):
    return k if BARE.match(k) else q(k)

def q(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"': out.append('\\"')
        elif ch == '\\': out.append('\\\\')
        elif ch == '\n': out.append('\\n')
        elif ch == '\t': out.append('\\t')
        elif o < 0x20 or o == 0x7f: out.append('\\u%04x' % o)
        else: out.append(ch)
    out.append('"')
    return ''.join(out)

def val(v):
    if isinstance(v, Raw): return str(v)
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, int): return str(v)
    if isinstance(v, float):
        if math.isnan(v): return 'nan'
        if math.isinf(v): return 'inf' if v > 0 else '-inf'
        r = repr(v)
        return r
    if isinstance(v, str): return q(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)): return v.isoformat()
    if isinstance(v, list): return '[' + ', '.join(val(x) for x in v) + ']'
    if isinstance(v, dict):
        if not v: return '{}'
        return '{ ' + ', '.join(f'{key(k)} = {val(x)}' for k, x in v.items()) + ' }'
    raise TypeError(type(v))

def has_aot(d):
    return any(isinstance(x, list) and x and all(isinstance(e, dict) for e in x) for x in d.values()) \
        or any(isinstance(x, dict) and x and not has_only_scalars(x) for x in d.values())

def has_only_scalars(d):
    return all(not isinstance(x, (dict,)) and not (isinstance(x, list) and x and all(isinstance(e, dict) for e in x)) for x in d.values())

def is_aot(v, depth):
    return isinstance(v, list) and v and all(isinstance(e, dict) for e in v) and (depth == 0 or any(has_aot(e) for e in v))

def is_subtable(v, depth):
    return isinstance(v, dict) and (depth == 0 or has_aot(v))

def dump_table(path, d, depth, out):
    simple = [(k, v) for k, v in d.items() if not is_aot(v, depth) and not is_subtable(v, depth)]
    for k, v in simple:
        out.append(f'{key(k)} = {val(v)}')
    for k, v in d.items():
        p = path + [key(k)]
        if is_subtable(v, depth):
            out.append('')
            out.append('[' + '.'.join(p) + ']')
            dump_table(p, v, depth + 1, out)
        elif is_aot(v, depth):
            for e in v:
                out.append('')
                out.append('[[' + '.'.join(p) + ']]')
                dump_table(p, e, depth + 1, out)

def dumps(d):
    out = []
    dump_table([], d, 0, out)
    return '\n'.join(out).lstrip('\n') + '\n'

"""One-off: copies third-party constants (statrs erf coefficients, rand_distr ziggurat tables)
into consts.json so the oracle runs without the cargo registry."""
import re, json, glob
R = glob.glob('/root/.cargo/registry/src/*/')[0]
out = {}
src = open(R + 'statrs-0.18.0/src/function/erf.rs').read()
for m in re.finditer(r'const (ERF_\w+): &\[f64\] = &\[(.*?)\];', src, re.S):
    out[m.group(1)] = [float(x) for x in re.findall(r'-?[0-9][0-9.eE+\-_]*', re.sub(r'//.*', '', m.group(2)))]
z = open(R + 'rand_distr-0.5.1/src/ziggurat_tables.rs').read()
out['ZIG_NORM_R'] = float(re.search(r'ZIG_NORM_R: f64 = ([0-9.]+);', z).group(1))
for name in ('ZIG_NORM_X', 'ZIG_NORM_F'):
    body = re.search(name + r': \[f64; 257\] =\s*\[(.*?)\];', z, re.S).group(1)
    out[name] = [float(x) for x in re.findall(r'[0-9][0-9.eE+\-]*', body)]
    assert len(out[name]) == 257, name
json.dump(out, open('consts.json', 'w'))
print({k: len(v) if isinstance(v, list) else v for k, v in out.items()})

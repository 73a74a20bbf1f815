#!/usr/bin/env python
"""Compare two runs of one study notebook on the same test images, e.g. bf16 against fp32 denoiser training (issue #21).

For every row of the chosen table (method x ε) it prints both accuracies with their Wilson 95% intervals and whether
each accuracy lies inside the other run's interval; then, for each method, an exact McNemar test of run B against
run A on the per-image outcomes pooled over the medium ε band (`verdicts.MEDIUM`) and over all ε. The two runs must
hold the same images (same profile, seed, n_test): the pairing is checked, never assumed.
Usage: .venv/bin/python tools/compare_runs.py outputs/04_pafilt/fp32 outputs/04_pafilt/bf16 [--table table4] [--json out.json]
"""
import argparse, json
from pathlib import Path
import pandas as pd
from advfilter.verdicts import MEDIUM, mcnemar_exact

KEYS = ['method', 'eps', 'image']

def outcomes(run:Path, table:str)->pd.DataFrame:
    "The run's per-image outcomes of `table` (gray-box rows)."
    return pd.read_csv(run/'tables'/f'{table}_outcomes.csv')

def rows(run:Path, table:str)->pd.DataFrame:
    "The run's accuracy rows of `table` with their Wilson intervals."
    t = pd.read_csv(run/'tables'/f'{table}.csv')
    return t[t.metric == 'accuracy'].set_index(['method', 'eps'])[['value', 'n', 'ci_low', 'ci_high']]

def interval_check(a:pd.DataFrame, b:pd.DataFrame)->pd.DataFrame:
    "Per method x ε: both accuracies and whether each lies inside the other's interval."
    j = a.merge(b, left_index=True, right_index=True, suffixes=('_a', '_b'))
    j['a_in_b'] = (j.value_a >= j.ci_low_b) & (j.value_a <= j.ci_high_b)
    j['b_in_a'] = (j.value_b >= j.ci_low_a) & (j.value_b <= j.ci_high_a)
    return j

def paired(oa:pd.DataFrame, ob:pd.DataFrame, eps=None)->pd.DataFrame:
    "Per method: n, accuracy of A and B, discordant counts and the exact McNemar p of B vs A (ε in `eps`, or all)."
    j = oa.merge(ob, on=KEYS, suffixes=('_a', '_b'), validate='one_to_one')
    if len(j) != len(oa) or len(j) != len(ob): raise SystemExit("The runs do not hold the same images: not paired.")
    if eps is not None: j = j[j.eps.round(8).isin([round(e, 8) for e in eps])]
    out = []
    for m, g in j.groupby('method'):
        n10, n01 = int(((g.correct_b == 1) & (g.correct_a == 0)).sum()), int(((g.correct_b == 0) & (g.correct_a == 1)).sum())
        out.append(dict(method=m, n=len(g), acc_a=g.correct_a.mean(), acc_b=g.correct_b.mean(), b_only=n10, a_only=n01,
                        p=mcnemar_exact(n10, n01)))
    return pd.DataFrame(out)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('run_a', type=Path)
    ap.add_argument('run_b', type=Path)
    ap.add_argument('--table', default='table4')
    ap.add_argument('--json', type=Path)
    args = ap.parse_args()
    ic = interval_check(rows(args.run_a, args.table), rows(args.run_b, args.table))
    oa, ob = outcomes(args.run_a, args.table), outcomes(args.run_b, args.table)
    band, every = paired(oa, ob, MEDIUM), paired(oa, ob)
    pd.set_option('display.width', 200)
    print(ic[['value_a', 'value_b', 'a_in_b', 'b_in_a']].to_string())
    print(f"rows with each accuracy inside the other's 95% interval: {int((ic.a_in_b & ic.b_in_a).sum())} of {len(ic)}")
    print(f"\nmedium band {MEDIUM} (B vs A, exact McNemar):\n{band.to_string(index=False)}")
    print(f"\nall ε:\n{every.to_string(index=False)}")
    if args.json:
        args.json.write_text(json.dumps(dict(a=str(args.run_a), b=str(args.run_b), table=args.table,
                                             inside=int((ic.a_in_b & ic.b_in_a).sum()), rows=len(ic),
                                             medium=band.to_dict('records'), all=every.to_dict('records')), indent=1))

if __name__ == '__main__':
    main()

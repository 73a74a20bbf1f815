#!/usr/bin/env python
"""Learning curves of every denoiser family at the smoke profile's sizes on this machine's CPU (issue #21).

Each run trains one family — Add/Filt x L_img/L_sem (Sec. 3.3), Multi-head-Filt(L_img) (Sec. 3.4), the Y-Net and the
PA-Filt fusion (Sec. 4.2) — on the smoke profile's training pairs (`threat.threat_model` + the cached PGD pairs) with
`training.train_*` and records after every epoch, through `learning.curve_hook`, the validation L1, PSNR and gray-box
accuracy over the medium ε band (1e-3 ... 1e-2) on `--n-val` validation images: CIFAR-10 training images that are
neither the study's training nor its test images (`learning.validation_pairs`, seed + 4: the images the fixed
filters' strengths are chosen on). The test images are never read. The fusion trains on the Y-Net of the same setting.

`--grid` gives the (batch size, lr) settings of the families in `--grid-families` (default Filt(Limg)); the others
run at `--default`. `--schedule cosine` decays each lr by a cosine (`training.cosine`) over the run, after a linear
warm-up of `--warmup` of the steps. Per run: the curve, seconds, and `learning.steps_to_fraction` (90%) of each metric.
Results go to `--out`/curves.json (rewritten after every run; a rerun skips the runs already there) and one figure per
family against steps and against training pairs. Usage:
  .venv/bin/python tools/bench_learning.py [--epochs 10] [--n-val 100] [--families Filt(Limg) Y-Net fusion]
      [--grid 16:5e-4 16:2e-3 64:5e-4 64:2e-3] [--default 64:5e-4] [--schedule constant|cosine] [--out DIR]
"""
import argparse, json, math, os, platform, sys, time
from functools import partial
from pathlib import Path
import advfilter  # noqa: F401  (first: OpenMP settings before torch loads)
import torch
from advfilter import training
from advfilter.attacks import EPS_M, generate_adversarial_set
from advfilter.denoisers import VARIANTS, N_HEADS, make_model
from advfilter.learning import validation_pairs, validation_metrics, curve_hook, learning_curve, steps_to_fraction, plot_curves
from advfilter.models import PAFilt, FusionNet
from advfilter.runs import atomic_json, set_seed
from advfilter.study import study_config, SOURCES
from advfilter.threat import threat_model

FAMILIES = ('Add(Limg)', 'Filt(Limg)', 'Add(Lsem)', 'Filt(Lsem)', 'Multi-head', 'Y-Net', 'fusion')
METRICS = (('val_l1', False), ('val_psnr', True), ('val_acc', True))

def trainer(family:str, cfg:dict, clf, pairs, ynets:dict, key):
    "(fresh model, fit(model, **kw) -> history) of one family; the fusion's Y-Net is the one trained at the same `key`."
    if family in VARIANTS:
        kind, loss, eps = VARIANTS[family]
        fit = lambda m, **kw: training.train_denoiser(m, pairs, loss=loss, classifier=clf, eps_subset=list(eps) if eps else None,
                                                      sem_layer=cfg['sem_layer'] if loss == 'sem' else None, **kw)
        return make_model(kind, cfg), fit
    if family == 'Multi-head':
        return make_model('MultiHeadFiltDenoiser', cfg, n_heads=N_HEADS), lambda m, **kw: training.train_multihead(m, pairs, **kw)
    if family == 'Y-Net':
        return make_model('YNet', cfg), lambda m, **kw: training.train_ynet(m, pairs, eps_m=list(EPS_M), **kw)
    if key not in ynets: raise SystemExit(f"fusion at {key} needs the Y-Net of that setting: list Y-Net before fusion.")
    model = PAFilt(ynets[key], FusionNet(cfg['fusion_hidden']))
    return model, lambda m, **kw: training.train_fusion(m, pairs, clf, target=cfg['fusion_target'],
                                                        ce_clip=cfg['fusion_ce_clip'] or None, **kw)

def run_one(family, bs, lr, args, cfg, clf, pairs, val, ynets)->dict:
    "Train one family at (bs, lr) for --epochs, evaluating after each epoch; the run's record."
    set_seed(0)
    model, fit = trainer(family, cfg, clf, pairs, ynets, (bs, lr))
    n = len(pairs.pairs(list(EPS_M) if family == 'Filt(L*img)' else None)[1])
    init = validation_metrics(model, clf, val)
    sched = partial(training.warmup_cosine, warmup=args.warmup) if args.schedule == 'cosine' else None
    t0 = time.time()
    hist = fit(model, epochs=args.epochs, batch_size=bs, lr=lr, lr_schedule=sched, progress=False, device=cfg['device'], amp=args.amp,
               on_epoch=curve_hook(clf, val, n_pairs=n, batch_size=bs))
    secs = time.time() - t0
    if family == 'Y-Net': ynets[(bs, lr)] = model
    cur = learning_curve(hist, init)
    to90 = {c: steps_to_fraction(cur, c, higher=h) for c, h in METRICS}
    return dict(family=family, batch_size=bs, lr=lr, schedule=args.schedule, amp=args.amp, epochs=args.epochs, n_pairs=n,
                seconds=round(secs, 1), s_per_step=round(secs / max(1, int(cur.step.iloc[-1])), 4), to90=to90,
                curve=cur.to_dict('records'))

def settings(family:str, args)->list:
    return [(int(b), float(l)) for b, l in (s.split(':') for s in (args.grid if family in args.grid_families else [args.default]))]

def figures(runs:list, out:Path):
    "One PNG per family: the curves of its settings against steps and against training pairs."
    import pandas as pd
    for fam in dict.fromkeys(r['family'] for r in runs):
        cs = {f"bs {r['batch_size']} lr {r['lr']:g} {r['schedule']}{' bf16' if r.get('amp') else ''}": pd.DataFrame(r['curve']) for r in runs if r['family'] == fam}
        for x in ('step', 'pairs'):
            fig = plot_curves(cs, x=x, title=f'{fam}: validation (medium ε band, {runs[0]["n_val"]} images)')
            fig.savefig(out/f"{fam.replace('(', '_').replace(')', '')}_{x}.png", dpi=90)

def table(runs:list)->str:
    "The steps-to-90% table: one line per run."
    lines = [f"{'family':<12} {'bs':>3} {'lr':>7} {'sched':<13} {'s/step':>6}  " +
             '  '.join(f"{c:>22}" for c, _ in METRICS) + '   (steps to 90% of the plateau; plateau; * still moving)']
    for r in runs:
        cell = lambda t: f"{'—' if math.isnan(t['steps']) else t['steps']:>5} {t['plateau']:>9.4f}{'*' if t['still_moving'] else ' '}"
        lines.append(f"{r['family']:<12} {r['batch_size']:>3} {r['lr']:>7g} {r['schedule'] + ('+bf16' if r.get('amp') else ''):<13} {r['s_per_step']:>6.3f}  " +
                     '  '.join(f"{cell(r['to90'][c]):>22}" for c, _ in METRICS))
    return '\n'.join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--n-val', type=int, default=100)
    ap.add_argument('--families', nargs='+', default=list(FAMILIES), choices=FAMILIES + ('Filt(L*img)',))
    ap.add_argument('--grid', nargs='+', default=['16:5e-4', '16:2e-3', '64:5e-4', '64:2e-3'])
    ap.add_argument('--grid-families', nargs='+', default=['Filt(Limg)'])
    ap.add_argument('--default', default='64:5e-4')
    ap.add_argument('--schedule', default='constant', choices=('constant', 'cosine'))
    ap.add_argument('--warmup', type=float, default=0.05)
    ap.add_argument('--amp', action='store_true', help='bf16 autocast with the fp32 islands (training._step)')
    ap.add_argument('--out', default='outputs/bench_learning')
    args = ap.parse_args()
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    cfg = study_config('smoke', device='cpu')
    clf, train, test = threat_model(cfg)
    pairs = generate_adversarial_set(clf, train, cfg['eps_train'], steps=cfg['steps_train'], seed=cfg.get('seed', 0))
    val = validation_pairs(clf, train, test, args.n_val, cfg['steps_test'], seed=cfg.get('seed', 0) + 4, size=SOURCES[cfg['dataset']][2])
    path = out/'curves.json'
    done = json.loads(path.read_text())['runs'] if path.exists() else []
    ref = validation_metrics(torch.nn.Identity(), clf, val)   # no denoiser: the yardstick of every accuracy gain
    print(f"no denoiser on the validation pairs: {ref}", flush=True)
    ynets, runs = {}, list(done)
    for fam in args.families:
        for bs, lr in settings(fam, args):
            ident = (fam, bs, lr, args.schedule, args.amp, args.epochs)
            if any((r['family'], r['batch_size'], r['lr'], r['schedule'], r.get('amp', False), r['epochs']) == ident
                   for r in done) and fam != 'Y-Net':
                continue
            rec = {**run_one(fam, bs, lr, args, cfg, clf, pairs, val, ynets), 'n_val': args.n_val}
            runs = [r for r in runs if (r['family'], r['batch_size'], r['lr'], r['schedule'], r.get('amp', False), r['epochs']) !=
                    ident] + [rec]
            atomic_json(dict(machine=f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
                             profile='smoke', no_denoiser=ref, cfg={k: cfg[k] for k in ('width', 'n_down', 'K', 'train_per_class', 'eps_train')},
                             runs=runs), path)
            print(f"{fam} bs {bs} lr {lr:g}: {rec['seconds']} s", flush=True)
            print(table([rec]).split('\n')[1], flush=True)
    figures(runs, out)
    print(table(runs))

if __name__ == '__main__':
    main()

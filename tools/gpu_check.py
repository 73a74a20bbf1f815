"""GPU check of advfilter (issue #11 item 7): every training loop, a cached-model reload + a white-box row,
foolbox vs native PGD parity, `pixel_filter` CPU vs device, the throughput of each stage in fp32 / TF32 / bf16, and a
paired fp32-vs-TF32 AutoAttack row (TF32 in the U-Net's forward only; the classifier fp32). Writes one JSON.
`--calibrate` also measures the cost model's rates at the paper profile's sizes (`advfilter.cost.calibrate`) and saves
them under the device's name in the cache root's `rates.json`, which `advfilter.cost.estimate` reads (set
`ADVFILTER_CACHE` to the cache the studies use; the check's own models go to a temporary folder).

How to run (a bare GPU machine needs only this repo, `pip install -e .`, and nothing else: the images are random, the
classifier is CIFAR ResNet-20 from `$ADVFILTER_DATA/weights` when present, else the same architecture with random weights):

    pip install -e .                                   # torch, torchvision, foolbox, ... (settings.ini requirements)
    python tools/gpu_check.py --out gpu_check.json     # on CUDA; about 2-5 minutes on one GPU, at most --minutes
    python tools/gpu_check.py --device cpu --out /tmp/gpu_check_cpu.json   # the CI variant: tiny sizes, < 60 s
    python tools/gpu_check.py --calibrate --out gpu_check.json   # first, on a lent GPU: + the rates of the cost model

The model cache goes to a temporary folder (`$ADVFILTER_CACHE` is set for the run); nothing in the repo is written
except the JSON. Exit status 1 when a check fails (every check still runs and is recorded).
"""
from __future__ import annotations
import argparse, json, math, os, platform, sys, tempfile, time, traceback
from pathlib import Path
from functools import partial
import torch, torch.nn as nn

from advfilter.device import setup_backends, autocast, bf16_supported, module_device
from advfilter.attacks import AdvSet, pgd, EPS_M
from advfilter.core import pixel_filter
from advfilter.models import FiltDenoiser, AddDenoiser, MultiHeadFiltDenoiser, YNet, FusionNet, PAFilt, Denoised
from advfilter import training, cost
from advfilter.verdicts import mcnemar_exact
from advfilter.whitebox import ascending_attack, aa_attacks
from advfilter.data import build_classifier, load_classifier

SIZES = {  # per device kind: images, image side, U-Net width/n_down, batch, PGD steps, throughput batch
    'cuda': dict(n=64, side=32, width=0.25, n_down=2, batch=32, steps=10, bench_batch=128, bench_width=1.0, reps=10),
    'cpu':  dict(n=8, side=16, width=1/16, n_down=2, batch=8, steps=2, bench_batch=8, bench_width=1/16, reps=2),
}
EPS = (1e-4, 3e-3, 0.1, 0.3)   # one ε per head of the multi-head denoiser; 0.1, 0.3 also train the Y-Net's `m` decoder


def classifier(dev):
    "CIFAR ResNet-20 with the project's weights when `$ADVFILTER_DATA` has them, else random weights (said in the JSON)."
    try: return load_classifier('cifar_resnet20', device=dev, download=False), 'cifar_resnet20 (pretrained)'
    except Exception as e:
        m = build_classifier('cifar_resnet20').eval().requires_grad_(False).to(dev)
        return m, f'cifar_resnet20 (random weights: {type(e).__name__})'


def pairs(clf, sz, dev, seed=0):
    "A small AdvSet: random images, PGD pairs at `EPS` made on `dev` with the native backend."
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(sz['n'], 3, sz['side'], sz['side'], generator=g)
    with torch.no_grad(): y = clf(x.to(dev)).argmax(1).cpu()           # the classifier's own labels: all start correct
    eps = torch.tensor(EPS, dtype=torch.float64).repeat_interleave(len(x))
    xa = pgd(clf, x.repeat(len(EPS), 1, 1, 1), y.repeat(len(EPS)), eps, steps=sz['steps'], backend='native', seed=seed)
    return AdvSet(clean=x, y=y, x_adv=xa, eps=eps.float(), src=torch.arange(len(x)).repeat(len(EPS)),
                  manifest={'name': 'gpu_check', 'n': len(x), 'side': sz['side'], 'seed': seed})


def check_training(clf, adv, sz, dev, amp):
    "One epoch of every training loop on `dev`; returns {loop: {'loss', 'seconds', 'device'}}."
    kw = dict(epochs=1, batch_size=sz['batch'], device=dev, amp=amp, progress=False)
    tiny = dict(width=sz['width'], n_down=sz['n_down'])
    ynet = YNet(K=3, **tiny)
    loops = {'Filt(Limg)': lambda: training.train_denoiser(FiltDenoiser(K=3, **tiny), adv, **kw),
             'Add(Lsem)': lambda: training.train_denoiser(AddDenoiser(**tiny), adv, loss='sem', classifier=clf,
                                                          sem_layer='net.layer3', **kw),
             'Filt(L*img)': lambda: training.train_denoiser(FiltDenoiser(K=3, **tiny), adv, eps_subset=EPS_M[:2], **kw),
             'multihead': lambda: training.train_multihead(MultiHeadFiltDenoiser(4, K=3, **tiny), adv, **kw),
             'ynet': lambda: training.train_ynet(ynet, adv, **kw),
             'fusion': lambda: training.train_fusion(PAFilt(ynet, FusionNet(8)), adv, clf, ce_clip=math.log(10), **kw)}
    out = {}
    for name, run in loops.items():
        t = time.perf_counter(); h = run(); sync(dev)
        out[name] = {'loss': h[-1]['loss'], 'seconds': round(time.perf_counter() - t, 3), 'finite': math.isfinite(h[-1]['loss'])}
    return out


def check_reload_whitebox(clf, adv, sz, dev):
    "Train a Filt(Limg) through `training.cached_model`, reload it from the cache onto `dev`, attack it white-box."
    tiny = dict(K=3, width=sz['width'], n_down=sz['n_down'])
    fit_kw = dict(epochs=1, batch_size=sz['batch'], device=str(dev), progress=False)
    fit = lambda m, ckpt_dir: training.train_denoiser(m, adv, ckpt_dir=ckpt_dir, **fit_kw)
    first = training.cached_model(FiltDenoiser(**tiny), fit, fit_kw, adv, tag='gpu_check')
    never = lambda m, ckpt_dir: (_ for _ in ()).throw(RuntimeError('the cached model was retrained'))
    again = training.cached_model(FiltDenoiser(**tiny), never, fit_kw, adv, tag='gpu_check')
    same = all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values()))
    out = {'reloaded_device': str(module_device(again)), 'reload_identical': same}
    try:
        from advfilter import whitebox
        cfg = dict(n_whitebox=min(16, sz['n']), steps_whitebox=sz['steps'], restarts_whitebox=1, seed=0)
        table = whitebox.pgd_whitebox_table(clf, {'Filt(Limg)': again}, adv, 4, 'gpu_check', cfg)[0]
        out['whitebox'] = {'via': 'advfilter.whitebox.pgd_whitebox_table',
                           'rows': {f"{r.eps:g}": round(float(r.value), 4) for r in table.itertuples()}}
    except Exception as e:   # the module is being written in parallel: fall back to native PGD through Denoised
        model = Denoised(again, clf).eval()
        x, y = adv.clean, adv.y
        rows = {}
        for e in (0.0, *EPS):
            xa = x if e == 0 else pgd(model, x, y, e, steps=sz['steps'], backend='native')
            with torch.no_grad(): rows[f'{e:g}'] = round(float((model(xa.to(dev)).argmax(1).cpu() == y).float().mean()), 4)
        out['whitebox'] = {'via': f'native pgd through models.Denoised ({type(e).__name__})', 'rows': rows}
    return out


def check_pgd_parity(clf, adv, sz):
    "foolbox's LinfPGD vs the native backend: same steps, no random start -> the same adversarial images (float noise)."
    x, y = adv.clean, adv.y
    out = {}
    for e in (3e-3, 0.1):
        kw = dict(steps=sz['steps'], random_start=False, seed=0)
        a, b = pgd(clf, x, y, e, backend='foolbox', **kw), pgd(clf, x, y, e, backend='native', **kw)
        out[f'{e:g}'] = {'max_abs_diff': float((a - b).abs().max()), 'frac_pixels_differ': float(((a - b).abs() > 1e-6).float().mean())}
    return out


def check_pixel_filter(dev):
    "pixel_filter on the CPU vs on `dev`: forward and both gradients (float64 reference on the CPU)."
    g = torch.Generator().manual_seed(0)
    x, k = torch.rand(2, 3, 24, 24, generator=g), torch.rand(2, 75, 24, 24, generator=g)
    gr = torch.rand(2, 3, 24, 24, generator=g)
    def run(d, dt):
        xi, ki = x.to(d, dt).requires_grad_(), k.to(d, dt).requires_grad_()
        o = pixel_filter(xi, ki); o.backward(gr.to(d, dt))
        return [t.detach().double().cpu() for t in (o, xi.grad, ki.grad)]
    ref, got = run('cpu', torch.float64), run(dev, torch.float32)
    return {n: float((a - b).abs().max()) for n, a, b in zip(('out', 'grad_img', 'grad_kernels'), ref, got)}


def sync(dev):
    if torch.device(dev).type == 'cuda': torch.cuda.synchronize()


def throughput(clf, sz, dev):
    "Images/s of each stage (denoiser training step, PGD step on the classifier, evaluation) in fp32, TF32 and bf16."
    B, side, dev = sz['bench_batch'], sz['side'], torch.device(dev)
    x, y = torch.rand(B, 3, side, side, device=dev), torch.randint(0, 10, (B,), device=dev)
    den = FiltDenoiser(K=5, width=sz['bench_width'], n_down=sz['n_down']).to(dev)
    opt = torch.optim.Adam(den.parameters(), lr=1e-4)
    def train_step(amp):
        opt.zero_grad(set_to_none=True)
        with autocast(dev, amp): loss = (den(x) - x).abs().mean()
        loss.backward(); opt.step()
    def pgd_step(amp):
        xi = x.clone().requires_grad_()
        with autocast(dev, amp): l = nn.functional.cross_entropy(clf(xi), y)
        torch.autograd.grad(l, xi)
    @torch.no_grad()
    def evaluate(amp):
        with autocast(dev, amp): clf(den(x)).argmax(1)
    out = {}
    for mode in ('fp32', 'tf32', 'bf16'):
        setup_backends(dev, tf32=mode == 'tf32')
        amp = mode == 'bf16'
        if amp and not bf16_supported(dev): out[mode] = 'bf16 not supported here'; continue
        out[mode] = {}
        for name, fn in (('denoiser_train_step', train_step), ('pgd_step', pgd_step), ('evaluation', evaluate)):
            fn(amp); sync(dev)                                                  # warm-up (cudnn.benchmark picks algorithms)
            t = time.perf_counter()
            for _ in range(sz['reps']): fn(amp)
            sync(dev)
            out[mode][name] = round(sz['reps'] * B / (time.perf_counter() - t), 1)
    setup_backends(dev, tf32=False)
    return {'images_per_s': out, 'batch': B, 'side': side, 'denoiser_width': sz['bench_width'],
            'note': 'TF32 is a CUDA feature: on the CPU the tf32 row is fp32' if dev.type != 'cuda' else ''}


TF32_RULE = ('TF32 (10-bit mantissa, relative rounding 2^-11) only in the U-Net body, and only at eps >= 10 * 2^-11 '
             '(4.9e-3): below that one rounding step of an activation is more than a tenth of the budget')


class TF32Forward(nn.Module):
    "`module`'s forward with TF32 matmuls/convolutions allowed (CUDA); its backward and everything else as set globally."
    def __init__(self, module): super().__init__(); self.module = module
    def forward(self, x):
        old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
        try: return self.module(x)
        finally: torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


def check_tf32_autoattack(clf, adv, sz, dev):
    "APGD-CE (AutoAttack's first attack) through Filt + classifier, fp32 vs TF32 U-Net forward: paired, per ε."
    den = FiltDenoiser(K=3, width=sz['width'], n_down=sz['n_down']).to(dev).eval().requires_grad_(False)
    x, y = adv.clean, adv.y
    grid = (1e-3, 8 / 255)
    attacks = aa_attacks('custom', ['apgd-ce'], iters=sz['steps'])
    setup_backends(dev, tf32=False)
    runs = {m: ascending_attack(Denoised(d, clf).eval(), x, y, grid, attacks)['correct']
            for m, d in (('fp32', den), ('tf32', TF32Forward(den)))}
    out = {}
    for e in sorted(runs['fp32'])[1:]:                      # the ε as `ascending_attack` keys them (0: clean)
        a, b = runs['fp32'][e], runs['tf32'][e]
        n10, n01 = int((a & ~b).sum()), int((~a & b).sum())
        out[f'{e:g}'] = {'fp32_acc': float(a.float().mean()), 'tf32_acc': float(b.float().mean()), 'n10': n10, 'n01': n01,
                         'p_mcnemar': mcnemar_exact(n10, n01), 'tf32_allowed_by_rule': e >= 10 * 2**-11}
    return {'rows': out, 'rule': TF32_RULE, 'n_images': len(x)}


def calibrate(dev):
    "The cost model's rates on `dev` at the paper profile's sizes (the CPU: micro sizes), saved to `rates.json`."
    from advfilter.study import study_config
    cal = cost.calibrate(str(dev), study_config('paper' if dev.type == 'cuda' else 'micro'), seconds=2.0 if dev.type == 'cuda' else 0.1)
    cal['saved_to'] = str(cost.save_rates(cal))
    return cal


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cuda', help="'cuda' (default), 'cuda:1', or 'cpu' (CI: tiny sizes)")
    ap.add_argument('--out', default='gpu_check.json', help='the JSON to write')
    ap.add_argument('--minutes', type=float, default=8.0, help='skip the remaining checks after this much time')
    ap.add_argument('--calibrate', action='store_true', help="measure the cost model's rates first and save them (rates.json)")
    a = ap.parse_args(argv)
    dev = torch.device(a.device)
    if dev.type == 'cuda' and not torch.cuda.is_available():
        sys.exit("No CUDA device: run with --device cpu, or on a GPU machine.")
    sz, t0 = SIZES['cuda' if dev.type == 'cuda' else 'cpu'], time.perf_counter()
    rates = calibrate(dev) if a.calibrate else None   # before the temporary cache: the rates go to the studies' cache
    os.environ['ADVFILTER_CACHE'] = tempfile.mkdtemp(prefix='advfilter-gpu-check-')
    torch.manual_seed(0)
    report = {'device': str(dev), 'device_name': torch.cuda.get_device_name(dev) if dev.type == 'cuda' else platform.processor(),
              'torch': torch.__version__, 'bf16_supported': bf16_supported(dev), 'sizes': sz,
              'backends': setup_backends(dev, tf32=False), 'checks': {}, 'failed': [], 'calibration': rates}
    clf, report['classifier'] = classifier(dev)
    adv = pairs(clf, sz, dev)
    checks = [('training_fp32', lambda: check_training(clf, adv, sz, dev, amp=False)),
              ('training_bf16', lambda: check_training(clf, adv, sz, dev, amp=True) if bf16_supported(dev) else 'skipped: no bf16'),
              ('cached_reload_whitebox', lambda: check_reload_whitebox(clf, adv, sz, dev)),
              ('pgd_foolbox_vs_native', lambda: check_pgd_parity(clf, adv, sz)),
              ('pixel_filter_cpu_vs_device', lambda: check_pixel_filter(dev)),
              ('throughput', lambda: throughput(clf, sz, dev)),
              ('tf32_vs_fp32_autoattack', lambda: check_tf32_autoattack(clf, adv, sz, dev))]
    for name, fn in checks:
        if time.perf_counter() - t0 > 60 * a.minutes:
            report['checks'][name] = 'skipped: time budget spent'; continue
        t = time.perf_counter()
        try: report['checks'][name] = fn()
        except Exception: report['checks'][name] = {'error': traceback.format_exc()[-2000:]}; report['failed'].append(name)
        print(f"{name}: {time.perf_counter() - t:.1f} s", flush=True)
    report['ok'] = _verdict(report)
    report['seconds'] = round(time.perf_counter() - t0, 1)
    with open(a.out, 'w') as f: json.dump(report, f, indent=1, default=str)
    print(f"wrote {a.out}: ok={report['ok']} in {report['seconds']} s", flush=True)
    return 0 if report['ok'] else 1


def _verdict(r)->bool:
    "True when no check raised, every loop's loss is finite, the reload landed on the device, and the ops agree."
    c = r['checks']
    if r['failed']: return False
    loops = [v for k in ('training_fp32', 'training_bf16') if isinstance(c.get(k), dict) for v in c[k].values()]
    rel = c.get('cached_reload_whitebox', {})
    pf = c.get('pixel_filter_cpu_vs_device', {})
    return (all(l['finite'] for l in loops) and torch.device(rel.get('reloaded_device', 'meta')).type == torch.device(r['device']).type
            and rel.get('reload_identical', False) and all(v < 1e-4 for v in pf.values()))


if __name__ == '__main__': sys.exit(main())

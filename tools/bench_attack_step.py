#!/usr/bin/env python
"""Time one white-box attack step through denoiser + classifier: eager, channels_last, torch.compile (issues #21, #22).

One step = forward of `Denoised(denoiser, classifier)` on a batch, summed cross-entropy, gradient w.r.t. the input
(parameters frozen): the work of one PGD / APGD iteration in `whitebox.ascending_attack`, at the smoke profile's sizes
(`study.STUDY`: K 5, width 0.25, 3 downsamplings; 32x32 images; `cifar_resnet20`, pretrained weights). Variants, for
Filt(L_img)'s denoiser and PA-Filt (Y-Net + fusion), all fp32:

- `eager` (what the study runs), `+cl` (model and batch in `channels_last`), `+compile` (`torch.compile`, inductor,
  `dynamic=False`; with --compile, its compile time printed as setup).

Each variant's gradient is compared with eager's: the largest absolute difference and the share of equal signs (PGD
steps by the sign). Rounds are interleaved; prints the median step time, min-max over rounds and the speed-up over
eager, and writes the figures to --json.
Usage: ADVFILTER_DATA=../shared/data .venv/bin/python tools/bench_attack_step.py [--batch 16] [--rounds 5]
                                      [--steps 3] [--threads 2] [--compile] [--json bench_attack_step.json]
"""
import advfilter   # first: sets the OpenMP spin policy before torch loads libgomp
import argparse, copy, json, os, platform, statistics, time
import torch, torch.nn.functional as F
from advfilter.data import load_classifier
from advfilter.models import Denoised, FiltDenoiser, FusionNet, PAFilt, YNet
from advfilter.study import STUDY

SIZE = {k: STUDY[k]['smoke'] for k in ('K', 'width', 'n_down')}

def input_grad(model, x, y)->torch.Tensor:
    "One attack step's work: d/dx of the summed cross-entropy of `model(x)`."
    xa = x.detach().clone().requires_grad_(True)
    g, = torch.autograd.grad(F.cross_entropy(model(xa), y, reduction='sum'), xa)
    return g

def defences(clf)->dict:
    "name -> Denoised(denoiser, clf) at smoke sizes (random denoiser weights: the cost does not depend on them)."
    torch.manual_seed(0)
    filt = FiltDenoiser(**SIZE)
    pa = PAFilt(YNet(**SIZE), FusionNet(32))
    return {name: Denoised(d, clf).eval().requires_grad_(False) for name, d in (('Filt(L_img)', filt), ('PA-Filt', pa))}

def variants(model, x, compile_:bool)->dict:
    "variant -> (model, input, setup seconds)."
    cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
    v = {'eager': (model, x, 0.0), '+cl': (cl, x.contiguous(memory_format=torch.channels_last), 0.0)}
    if compile_:
        t = time.perf_counter()
        mc = torch.compile(model, dynamic=False)
        input_grad(mc, x, torch.zeros(len(x), dtype=torch.long))
        v['+compile'] = (mc, x, time.perf_counter() - t)
    return v

def measure(v:dict, y, rounds:int, steps:int)->dict:
    "variant -> per-step seconds, one per round (variants interleaved)."
    times = {k: [] for k in v}
    for _ in range(rounds):
        for k, (m, x, _) in v.items():
            t = time.perf_counter()
            for _ in range(steps): input_grad(m, x, y)
            times[k].append((time.perf_counter() - t) / steps)
    return times

def report(name:str, v:dict, times:dict, y)->list:
    "Print one line per variant; the rows for the JSON."
    g0 = input_grad(v['eager'][0], v['eager'][1], y)
    base, rows = statistics.median(times['eager']), []
    for k, (m, x, setup) in v.items():
        g, med = input_grad(m, x, y), statistics.median(times[k])
        diff, signs = float((g - g0).abs().max()), float((g.sign() == g0.sign()).float().mean())
        rows.append(dict(defence=name, variant=k, median_s=med, min_s=min(times[k]), max_s=max(times[k]),
                         speedup=base / med, setup_s=setup, max_abs_grad_diff=diff, sign_agreement=signs))
        print(f"{name:12s} {k:9s} {med * 1e3:8.1f} ms/step [{min(times[k]) * 1e3:7.1f} - {max(times[k]) * 1e3:7.1f}]"
              f"  x{base / med:4.2f}  max|Δg| {diff:.2g}  signs equal {signs:.6f}  (setup {setup:.1f} s)")
    return rows

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--compile', action='store_true')
    ap.add_argument('--json', default='bench_attack_step.json')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    load0 = os.getloadavg()
    print(f"torch {torch.__version__}, {a.threads} threads, {platform.processor() or platform.machine()}, "
          f"sizes {SIZE}, batch {a.batch}, load average {load0[0]:.2f}")
    clf = load_classifier('cifar_resnet20').eval()
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(a.batch, 3, 32, 32, generator=g), torch.randint(0, 10, (a.batch,), generator=g)
    rows = []
    for name, model in defences(clf).items():
        v = variants(model, x, a.compile)
        rows += report(name, v, measure(v, y, a.rounds, a.steps), y)
    load1 = os.getloadavg()
    print(f"load average after: {load1[0]:.2f}")
    json.dump(dict(torch=torch.__version__, threads=a.threads, sizes=SIZE, batch=a.batch, rounds=a.rounds,
                   steps=a.steps, load_before=load0, load_after=load1, rows=rows), open(a.json, 'w'), indent=1)

if __name__ == '__main__': main()

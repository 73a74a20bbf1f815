#!/usr/bin/env python
"""Time one training step of Filt(L_img), the Y-Net and the PA-Filt fusion in fp32 and bf16 with fp32 islands (issue #21).

One step = zero_grad, forward under `training._step`'s autocast, loss, backward, gradient clipping, Adam: exactly the
training loop's `_step`, at the smoke profile's sizes (`study.STUDY`: K 5, width 0.25, 3 downsamplings, batch 64,
32x32 images). Variants:

- `fp32` (the default), `bf16` (`amp=True`: the U-Net body in bf16, the islands in fp32);
- `+cl`: model and batch in `channels_last`;
- `+compile`: `torch.compile` (inductor) of the model (with --compile; compile time printed separately);
- with --rev REV: `bf16 @REV`, the models of git revision REV under the same autocast (e.g. the code before the islands);
- fusion (`train_fusion`'s step, classifier cifar_resnet20 with random weights): the Y-Net re-run on every batch
  (`live`) against its part computed once (`cached`, `training._YNetCache`), each in fp32 and bf16.

Rounds are interleaved (every variant once per round) so that load changes hit all alike; each round times --steps
steps after --warmup untimed ones. Prints the median step time with the min-max over rounds and the speed-up against the
first variant of its group, the load average before and after, and writes the figures to --json.
Usage: .venv/bin/python tools/bench_amp.py [--rounds 5] [--steps 3] [--threads 2] [--compile] [--rev REV] [--only TEXT]
                                          [--json bench_amp.json]
"""
import advfilter   # first: sets the OpenMP spin policy before torch loads libgomp
import argparse, json, os, platform, statistics, sys, tempfile, time
from functools import partial
from pathlib import Path
import torch
from advfilter import training as T
from advfilter.attacks import EPS_M, EPS_TRAIN
from advfilter.core import l_img
from advfilter.data import build_classifier
from advfilter.models import FiltDenoiser, YNet, PAFilt, FusionNet
from advfilter.study import STUDY
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_fp32_identity import load_at

SIZE = {k: STUDY[k]['smoke'] for k in ('K', 'width', 'n_down', 'batch_size')}

def batch(bs:int, cl:bool=False, seed:int=0)->list:
    "`[clean, x_adv, eps, y]` of `bs` pairs at 32x32, the ε cycling through the 12 training ε (a quarter in EPS_M)."
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(bs, 3, 32, 32, generator=g)
    eps = torch.tensor([EPS_TRAIN[i % len(EPS_TRAIN)] for i in range(bs)], dtype=torch.float32)
    x = (clean + eps[:, None, None, None] * (torch.randint(0, 2, clean.shape, generator=g) * 2 - 1)).clamp(0, 1)
    fmt = torch.channels_last if cl else torch.contiguous_format
    return [clean.contiguous(memory_format=fmt), x.contiguous(memory_format=fmt), eps, torch.randint(0, 10, (bs,), generator=g)]

def stepper(model, loss_fn, amp:bool, cl:bool=False, compile_:bool=False, params=None):
    "A function running one `_step` of `model` (fresh Adam), and the model (compiled or not)."
    if cl: model = model.to(memory_format=torch.channels_last)
    run = torch.compile(model) if compile_ else model
    opt = torch.optim.Adam([p for p in (params if params is not None else model.parameters()) if p.requires_grad], lr=1e-4)
    b = batch(SIZE['batch_size'], cl)
    return lambda: T._step(run, opt, loss_fn, b, amp=amp, clip=1.0)

def denoiser_variants(compile_:bool, rev:str|None, M=None)->dict:
    "name -> step function for Filt(L_img) and the Y-Net (the models of module `M` at git revision `rev` too, if given)."
    sizes = dict(K=SIZE['K'], width=SIZE['width'], n_down=SIZE['n_down'])
    fl, yl = partial(T._denoise_loss, crit=l_img), partial(T._ynet_loss, eps_m=EPS_M)
    v = {}
    for tag, cls, loss in (('Filt(L_img)', 'FiltDenoiser', fl), ('Y-Net', 'YNet', yl)):
        mk = lambda: globals()[cls](**sizes)
        for amp in (False, True):
            for cl in (False, True):
                torch.manual_seed(0)
                v[f"{tag} {'bf16' if amp else 'fp32'}{'+cl' if cl else ''}"] = (tag, partial(stepper, mk(), loss, amp, cl))
            if compile_:
                torch.manual_seed(0)
                v[f"{tag} {'bf16' if amp else 'fp32'}+compile"] = (tag, partial(stepper, mk(), loss, amp, False, True))
        if rev:
            torch.manual_seed(0)
            v[f"{tag} bf16 @{rev}"] = (tag, partial(stepper, getattr(M, cls)(**sizes), loss, True))
    return v

def fusion_variants()->dict:
    "name -> step function of the fusion's training step, the Y-Net re-run (live) or from the cache."
    torch.manual_seed(0)
    clf = build_classifier('cifar_resnet20').eval().requires_grad_(False)
    pa = PAFilt(YNet(K=SIZE['K'], width=SIZE['width'], n_down=SIZE['n_down']), FusionNet(32)).requires_grad_(False)
    pa.fusion.requires_grad_(True); pa.train(); pa.ynet.eval()
    v = {}
    for amp in (False, True):
        for cached in (False, True):
            cache = T._YNetCache(batch(SIZE['batch_size'])[1]) if cached else None
            loss = partial(T._fusion_loss, classifier=clf, cache=cache)
            v[f"fusion {'bf16' if amp else 'fp32'} {'cached' if cached else 'live'}"] = (
                'fusion', partial(stepper, pa, loss, amp, params=pa.fusion.parameters()))
    return v

def measure(variants:dict, rounds:int, steps:int, warmup:int)->dict:
    "name -> list of per-step seconds, one per round (rounds interleaved across the variants)."
    runs, setup = {}, {}
    for name, (_, make) in variants.items():
        t = time.perf_counter(); runs[name] = make()
        for _ in range(warmup): runs[name]()
        setup[name] = time.perf_counter() - t
    times = {n: [] for n in runs}
    for _ in range(rounds):
        for n, f in runs.items():
            t = time.perf_counter()
            for _ in range(steps): f()
            times[n].append((time.perf_counter() - t) / steps)
    return times, setup

def report(variants:dict, times:dict, setup:dict)->list:
    "Print one line per variant (median, min-max, speed-up against its group's first variant); the rows for the JSON."
    rows, base = [], {}
    for n, (group, _) in variants.items():
        med = statistics.median(times[n]); base.setdefault(group, med)
        rows.append(dict(variant=n, group=group, median_s=med, min_s=min(times[n]), max_s=max(times[n]),
                         speedup=base[group] / med, setup_s=setup[n], rounds_s=times[n]))
        print(f"{n:28s} {med * 1e3:8.1f} ms/step  [{min(times[n]) * 1e3:7.1f} - {max(times[n]) * 1e3:7.1f}]  "
              f"x{base[group] / med:4.2f}   (setup+warm-up {setup[n]:.1f} s)")
    return rows

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=5); ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=2); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--compile', action='store_true'); ap.add_argument('--json', default='bench_amp.json')
    ap.add_argument('--rev', default=None, help='also time bf16 with the models of this git revision')
    ap.add_argument('--only', default='', help="run only variants whose name contains this (e.g. 'fusion')")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    load0 = os.getloadavg()
    print(f"torch {torch.__version__}, {a.threads} threads, {platform.processor() or platform.machine()}, sizes {SIZE}, "
          f"load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    tmp = tempfile.TemporaryDirectory()
    M = load_at(a.rev, Path(tmp.name))[0] if a.rev else None
    variants = {k: v for k, v in {**denoiser_variants(a.compile, a.rev, M), **fusion_variants()}.items() if a.only in k}
    times, setup = measure(variants, a.rounds, a.steps, a.warmup)
    rows = report(variants, times, setup)
    load1 = os.getloadavg()
    print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    json.dump(dict(torch=torch.__version__, threads=a.threads, sizes=SIZE, rounds=a.rounds, steps=a.steps,
                   load_before=load0, load_after=load1, rows=rows), open(a.json, 'w'), indent=1)

if __name__ == '__main__': main()

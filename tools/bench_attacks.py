"""Throughput of the PGD attack vs the bare classifier (benchmark, not a test).

Measures adversarial examples × PGD steps per second of `advfilter.attacks.pgd` (foolbox `LinfPGD`, and the native
torch path) against the bare classifier's forward + backward (gradient w.r.t. the input, parameters frozen: the work
one PGD step needs) on the same batch. Goal: PGD >= 0.9x the bare throughput.

    ADVFILTER_DATA=../shared/data .venv/bin/python tools/bench_attacks.py [--model cifar_resnet20] [--batch 128]
        [--steps 10] [--repeats 3] [--device cpu] [--threads N]
"""
import argparse, os, statistics, time
import torch, torch.nn.functional as F
from advfilter.data import load_classifier, load_dataset
from advfilter.attacks import pgd

def timed(fns:dict, repeats:int)->dict:
    "Best and median wall time of each `fn` over `repeats` rounds, the functions interleaved (after one warm-up round)."
    ts = {k: [] for k in fns}
    for r in range(repeats + 1):
        for k, fn in fns.items():
            if torch.cuda.is_available(): torch.cuda.synchronize()
            t = time.perf_counter(); fn()
            if torch.cuda.is_available(): torch.cuda.synchronize()
            if r: ts[k].append(time.perf_counter() - t)
    return {k: (min(v), statistics.median(v)) for k, v in ts.items()}

def bare(model, x, y, steps, weights=False):
    "`steps` forward+backward passes: gradient w.r.t. the input (and the weights when `weights`)."
    ps = list(model.parameters())
    for p in ps: p.requires_grad_(weights)
    try:
        for _ in range(steps):
            xi = x.detach().requires_grad_(True)
            F.cross_entropy(model(xi), y, reduction='sum').backward()
    finally:
        for p in ps: p.requires_grad_(False); p.grad = None

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='cifar_resnet20'); ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--steps', type=int, default=10); ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--eps', type=float, default=8/255); ap.add_argument('--device', default='cpu')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: leave as is)')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    model = load_classifier(a.model, device=dev)
    ds = load_dataset('cifar10', 'test', n=a.batch)
    x, y = ds.x.to(dev), ds.y.to(dev)
    n = a.batch * a.steps
    print(f"{a.model} on {dev} ({torch.get_num_threads()} threads, {os.cpu_count()} CPUs, torch {torch.__version__}); "
          f"batch {a.batch}, {a.steps} steps, eps {a.eps:.4f}, {a.repeats} interleaved rounds")
    fns = {'bare fwd+bwd (input grad)': lambda: bare(model, x, y, a.steps),
           'bare fwd+bwd (+weight grads)': lambda: bare(model, x, y, a.steps, weights=True),
           'pgd foolbox LinfPGD': lambda: pgd(model, x, y, a.eps, steps=a.steps, batch_size=a.batch),
           'pgd native': lambda: pgd(model, x, y, a.eps, steps=a.steps, batch_size=a.batch, backend='native')}
    res = timed(fns, a.repeats); ref = n / res['bare fwd+bwd (input grad)'][0]
    print(f"  {'':30s} {'images*steps/s (best / median)':>32s}  best vs bare")
    for k, (best, med) in res.items(): print(f"  {k:30s} {n / best:14.1f} / {n / med:8.1f}        {n / best / ref:5.2f}x")

if __name__ == '__main__': main()

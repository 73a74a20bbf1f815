"""Scaling benchmark of the distributed stages (`advfilter.distributed`): throughput of adversarial-set generation,
gray-box evaluation and one denoiser-training epoch with 1 and N processes (torchrun, gloo on CPU / NCCL on GPUs).

    .venv/bin/python tools/bench_distributed.py            # 1 process x 1 thread, 1 x 2 threads, 2 x 1 thread (CPU)
    .venv/bin/python tools/bench_distributed.py --nproc 8   # on a GPU machine: 1 and 8 processes, one GPU each

Prints figures; asserts nothing (a benchmark, not a test). Needs the CIFAR-10 test images and `cifar_resnet20` weights
under $ADVFILTER_DATA (else random images and a random-weight ResNet-20 of the same shape).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

SIZES = dict(adv_images=64, adv_eps=[0.01, 0.1], adv_steps=10, chunk_size=8,    # 8 chunks x 2 ε = 16 PGD jobs
             train_pairs=384, batch_size=32, width=0.25, n_down=3)


def _problem(device):
    "The CIFAR ResNet-20 threat model and CIFAR-10 test images (random stand-ins when absent)."
    import torch
    from advfilter.data import load_dataset, load_classifier, stand_in_classifier, weights_present, ImageSet
    try: ds = load_dataset('cifar10', 'test', n=SIZES['adv_images'], seed=0)
    except Exception:
        g = torch.Generator().manual_seed(0); n = SIZES['adv_images']
        ds = ImageSet(torch.rand(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g), list('0123456789'), torch.arange(n), 'random', 'test')
    clf = load_classifier('cifar_resnet20', device=device) if weights_present('cifar_resnet20') else stand_in_classifier('cifar_resnet20', 0, device)
    return clf.eval(), ds


def _timed(fn):
    "Seconds of `fn()` on every rank, between barriers (the slowest rank decides)."
    import torch.distributed as dist
    from advfilter import distributed as D
    if D.world() > 1: dist.barrier()
    t = time.perf_counter(); out = fn()
    if D.world() > 1: dist.barrier()
    return time.perf_counter() - t, out


def worker(out:str):
    "One rank: each stage once, inside `distributed_stages()`; rank 0 writes the seconds per stage to `out`."
    import torch
    from advfilter import distributed as D, training
    from advfilter.attacks import generate_adversarial_set
    from advfilter.models import build_model
    from advfilter.runs import set_seed
    from advfilter.device import pick_device
    D.init(); dev = pick_device('auto'); clf, ds = _problem(dev)
    s, res = SIZES, {}
    with D.distributed_stages(), tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp if D.world() == 1 else D.gather(tmp)[0])   # one shared cache folder (rank 0's)
        t, adv = _timed(lambda: D.generate_adversarial_set(clf, ds, s['adv_eps'], steps=s['adv_steps'], cache_dir=cache/'adv',
                                                          chunk_size=s['chunk_size'], progress=False))
        res['adversarial set'] = (t, len(adv), 'adversarial images')
        set_seed(0); den = build_model(dict(kind='FiltDenoiser', width=s['width'], n_down=s['n_down'], K=5)).to(dev).eval()
        t, _ = _timed(lambda: D.accuracy_table(clf, adv, {'Acc. after Attack': None, 'Filt': den}, 1, 'bench'))
        res['evaluation'] = (t, 2 * len(adv.clean) * (len(adv.eps_grid) + 1), 'image forward passes')
        x = torch.rand(s['train_pairs'], 3, 32, 32, generator=torch.Generator().manual_seed(1))
        e = torch.tensor([[1e-3, 3e-2, 0.3][i % 3] for i in range(len(x))])
        pairs = (x, (x + (torch.rand_like(x) * 2 - 1) * e.view(-1, 1, 1, 1)).clamp(0, 1), e)
        set_seed(0); m = build_model(dict(kind='FiltDenoiser', width=s['width'], n_down=s['n_down'], K=5))
        t, _ = _timed(lambda: training.train_denoiser(m, pairs, epochs=1, batch_size=s['batch_size'], progress=False))
        res['training epoch'] = (t, len(x), 'pairs')
    if D.rank() == 0: Path(out).write_text(json.dumps({'world': D.world(), 'threads': __import__('torch').get_num_threads(), 'stages': res}))


def run(nproc:int, threads:int)->dict:
    "The worker under torchrun with `nproc` processes of `threads` threads each."
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)/'bench.json'
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(nproc), __file__, '--worker', str(out)]
        env = {**os.environ, 'OMP_NUM_THREADS': str(threads), 'OMP_WAIT_POLICY': 'PASSIVE'}
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if p.returncode: sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr[-3000:]}")
        return json.loads(out.read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    ap.add_argument('--nproc', type=int, default=2, help='processes of the distributed run (default 2)')
    a = ap.parse_args()
    if a.worker: return worker(a.worker)
    import torch
    gpu = torch.cuda.is_available()
    cores = os.cpu_count() or 1
    configs = [(1, 1 if not gpu else cores), *([] if gpu else [(1, a.nproc)]), (a.nproc, 1 if not gpu else max(1, cores // a.nproc))]
    print(f"{'GPU: ' + torch.cuda.get_device_name() if gpu else 'no GPU: CPU (gloo)'}; {cores} cores; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; sizes {SIZES}")
    runs = {c: run(*c) for c in configs}
    base = runs[configs[0]]['stages']
    print(f"\n{'stage':<18}{'items':>7}  " + ''.join(f"{f'{n} proc x {t} thr':>22}" for n, t in configs))
    for stage, (t0, items, unit) in base.items():
        cells = []
        for c in configs:
            t = runs[c]['stages'][stage][0]
            cells.append(f"{t:6.1f}s {items / t:6.1f}/s x{t0 / t:4.2f}")
        print(f"{stage:<18}{items:>7}  " + ''.join(f'{x:>22}' for x in cells) + f"   ({unit})")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == '__main__': main()

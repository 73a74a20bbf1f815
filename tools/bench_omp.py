"""How OpenMP's idle-thread policy and advfilter's thread sharing change the speed of small-batch work (a benchmark, not a test).

Times one white-box step (input gradient of the CIFAR ResNet-20) on 16 and 200 images, in a fresh process per setting,
alone and with a second identical job on the same cores. `advfilter.threads.SPINCOUNT` (set by `import advfilter`)
comes from these figures; the `share_cores` rows show the rule of `advfilter.threads` (each busy advfilter process
takes max(1, T // n) threads) against the same two jobs without it.

    python tools/bench_omp.py            # prints ms per step for each setting
"""
import argparse, os, subprocess, sys, tempfile, time

SETTINGS = {'spin 10,000 (advfilter default) + share_cores': {'GOMP_SPINCOUNT': '10000', 'BENCH_SHARE': '1'},
            'spin 10,000 (advfilter default), no sharing': {'GOMP_SPINCOUNT': '10000'},
            'OMP_WAIT_POLICY=PASSIVE': {'OMP_WAIT_POLICY': 'PASSIVE'},
            'GOMP_SPINCOUNT=0 (make ... GOMP_SPINCOUNT=0)': {'GOMP_SPINCOUNT': '0'},
            'libgomp default': {}}

def step_ms(batch:int, n:int)->float:
    "Median ms of one input-gradient step of ResNet-20 on `batch` random images (in this process)."
    import torch
    from advfilter.data import CifarResNet
    torch.manual_seed(0); m = CifarResNet(20).eval().requires_grad_(False); x = torch.rand(batch, 3, 32, 32)
    share = os.environ.get('BENCH_SHARE') == '1'
    if share:   # as the library's loops do: mark busy, take the share (a private busy folder: other jobs here do not count)
        from advfilter.threads import share_cores
        folder = os.environ['BENCH_BUSY_DIR']; share_cores(folder, force=True); time.sleep(3); share_cores(folder, force=True)
    def step():
        if share: share_cores(folder)
        xx = x.clone().requires_grad_(True); torch.autograd.grad(m(xx).sum(), xx)
    for _ in range(3): step()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2] * 1000

def run(env:dict, jobs:int)->list:
    "ms per step (16 images, 200 images) of each of `jobs` concurrent worker processes with `env` set."
    base = {k: v for k, v in os.environ.items() if k not in ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'OMP_NUM_THREADS')}
    base['BENCH_BUSY_DIR'] = tempfile.mkdtemp(prefix='bench-busy-')
    ps = [subprocess.Popen([sys.executable, __file__, '--worker'], env={**base, **env}, stdout=subprocess.PIPE, text=True)
          for _ in range(jobs)]
    return [p.communicate()[0].split() for p in ps]

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--worker', action='store_true', help='internal: time the steps in this process')
    if ap.parse_args().worker:
        import torch
        a, b = step_ms(16, 40), step_ms(200, 10)
        print(f'{a:.1f} {b:.1f} threads={torch.get_num_threads()}'); sys.exit()
    print(f'{os.cpu_count()} CPUs; ms per ResNet-20 input-gradient step (median), 16 images | 200 images')
    for name, env in SETTINGS.items():
        for jobs in (1, 2):
            r = run(env, jobs)
            print(f'{name:48s} {jobs} job{"s" if jobs > 1 else " "}: ' + ', '.join(f'{a} | {b} ({t})' for a, b, t in r), flush=True)

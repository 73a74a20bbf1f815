#!/usr/bin/env python
"""Benchmark `advfilter.core.pixel_filter` (Eq. 7) forward+backward against the `F.unfold` formulation.

For each case (B=128 at 32x32 and B=16 at 224x224, K=5, float32) it prints the time of one forward+backward pass
(gradients for both the image and the kernels, as when attacking through a denoiser; plus pixel_filter with the kernel
gradient only, as when training one), the speed ratio, the effective GB/s and its share of the machine's memory
bandwidth measured here with a large tensor copy.

Effective GB/s = the bytes a forward+backward pass must move at least / time: read img and kernels, write out (forward);
read grad_out, img and kernels, write grad_img and grad_kernels (backward). The kernels dominate (3·K² channels vs 3).
The copy bandwidth counts read + write bytes the same way. It also prints what allocating and first-touching one
kernel-sized tensor costs (page faults); every implementation pays this for grad_kernels, and on CPU it is often the
largest single item. The allocator is a process setting, not part of the op: e.g. `THP_MEM_ALLOC_ENABLE=1`
(PyTorch's transparent-huge-page allocation) or jemalloc lower it for both implementations. The `floor` line is the
least time any implementation could take here (that allocation plus the minimum bytes at copy bandwidth), so it
bounds the speed-up over unfold and the bandwidth share that is reachable on this machine and allocator.

Times are the minimum over --reps interleaved repetitions (median in brackets); on a shared machine they are noisy.
Usage: .venv/bin/python tools/bench_pixel_filter.py [--device auto|cpu|cuda] [--reps 7] [--threads N]
"""
import argparse, math, statistics, time
import torch, torch.nn.functional as F
from advfilter.core import pixel_filter

def unfold_filter(img, kernels):
    "Reference Eq. 7 via F.unfold: materialises K² shifted copies of the image."
    B, C, H, W = img.shape; K = math.isqrt(kernels.shape[1] // C)
    return (F.unfold(img, K, padding=K//2).view(B, C, K*K, H, W) * kernels.view(B, C, K*K, H, W)).sum(2)

def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize(device)

def copy_bandwidth(device, mib=None, reps=7):
    "Memory bandwidth in GB/s from copying a large tensor (read + write bytes / time)."
    n = (mib or (1024 if device.type == 'cuda' else 512)) * 2**20 // 4
    a, b = torch.rand(n, device=device), torch.rand(n, device=device)   # touched: no page faults in the timing
    ts = []
    for _ in range(reps + 1):
        sync(device); t = time.perf_counter(); b.copy_(a); sync(device); ts.append(time.perf_counter() - t)
    return 2 * a.numel() * 4 / min(ts[1:]) / 1e9

def alloc_touch_ms(shape, device, reps=5):
    "Time to allocate and first-touch (fill) a float32 tensor of `shape`, in ms."
    ts = []
    for _ in range(reps + 1):
        sync(device); t = time.perf_counter(); x = torch.empty(shape, device=device).fill_(1.); sync(device)
        ts.append(time.perf_counter() - t); del x
    return min(ts[1:]) * 1e3

def fwd_bwd(fn, img, k, g, wrt):
    return lambda: torch.autograd.grad(fn(img, k), wrt, g)

def run_case(B, H, K, device, reps):
    C = 3
    img = torch.rand(B, C, H, H, device=device, requires_grad=True)
    k = torch.randn(B, C*K*K, H, H, device=device, requires_grad=True)
    g = torch.randn(B, C, H, H, device=device)
    # correctness of the comparison
    out_ref, out = unfold_filter(img, k), pixel_filter(img, k)
    gr, gp = torch.autograd.grad(out_ref, (img, k), g), torch.autograd.grad(out, (img, k), g)
    err = max((out_ref - out).abs().max().item(), *((a - b).abs().max().item() for a, b in zip(gr, gp)))
    del out_ref, out, gr, gp
    impls = {'unfold': fwd_bwd(unfold_filter, img, k, g, (img, k)),
             'pixel_filter': fwd_bwd(pixel_filter, img, k, g, (img, k)),
             'pixel_filter, grad kernels only': fwd_bwd(pixel_filter, img.detach(), k, g, (k,))}
    ts = {n: [] for n in impls}
    for f in impls.values(): f(); sync(device)                          # warm-up
    for _ in range(reps):                                               # interleaved: same noise for all
        for n, f in impls.items():
            sync(device); t = time.perf_counter(); f(); sync(device); ts[n].append(time.perf_counter() - t)
    px = B * H * H * 4                                                  # bytes of one float32 plane per image
    need = {'unfold': px * (C + C*K*K + C + C + C + C*K*K + C*K*K + C),
            'pixel_filter': px * (C + C*K*K + C + C + C + C*K*K + C*K*K + C),
            'pixel_filter, grad kernels only': px * (C + C*K*K + C + C + C + C*K*K + C*K*K)}
    return ts, need, err, alloc_touch_ms((B, C*K*K, H, H), device)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='auto', help="auto (cuda when present), cpu or cuda")
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: torch default)')
    ap.add_argument('--K', type=int, default=5)
    a = ap.parse_args()
    device = torch.device('cuda' if a.device == 'auto' and torch.cuda.is_available() else ('cpu' if a.device == 'auto' else a.device))
    if a.threads: torch.set_num_threads(a.threads)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU, {torch.get_num_threads()} threads'
    bw = copy_bandwidth(device)
    print(f"device: {name}; torch {torch.__version__}")
    print(f"measured memory bandwidth (tensor copy, read+write): {bw:.1f} GB/s")
    for B, H in ((128, 32), (16, 224)):
        ts, need, err, alloc = run_case(B, H, a.K, device, a.reps)
        print(f"\nB={B} {H}x{H} K={a.K} float32: max |pixel_filter - unfold| over out and grads = {err:.1e}; "
              f"alloc+first touch of one kernel-sized tensor: {alloc:.1f} ms")
        t_ref = min(ts['unfold'])
        for n, t in ts.items():
            tm, gbs = min(t), need[n] / min(t) / 1e9
            print(f"  {n:32s} {tm*1e3:8.1f} ms (median {statistics.median(t)*1e3:6.1f})  "
                  f"x{t_ref/tm:5.1f} vs unfold  {gbs:6.1f} GB/s = {100*gbs/bw:3.0f}% of copy bandwidth")
        # no implementation can beat: allocating + first-touching grad_kernels, plus moving its minimum bytes at copy speed
        floor = alloc / 1e3 + need['pixel_filter'] / (bw * 1e9)
        print(f"  {'floor for any implementation':32s} {floor*1e3:8.1f} ms  (alloc+touch of grad_kernels + minimum bytes at "
              f"copy bandwidth): at most x{t_ref/floor:.1f} vs unfold and "
              f"{100*need['pixel_filter']/floor/1e9/bw:.0f}% of copy bandwidth with this allocator")

if __name__ == '__main__':
    main()

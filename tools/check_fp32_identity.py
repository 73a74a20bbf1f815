#!/usr/bin/env python
"""Check that the models of this tree compute, in fp32 (no autocast), bit for bit what they computed at a git revision.

The fp32 islands of bf16 training (issue #21: `core.fp32_call`, the first conv, the output conv, the softmax, the
losses) must be no-ops when autocast is off. This script exports `advfilter/` at REV (`git archive`) into a temporary
package, builds every model kind with the same seed in both versions, and compares with `torch.equal`: the outputs, the
L_img / L_sem / fusion-CE losses and every parameter gradient of one backward pass. It also checks that `model.config`
(part of the model-cache key, `training.model_key`) is unchanged. Exit status 1 on any difference.

Usage: .venv/bin/python tools/check_fp32_identity.py [REV] [--threads N]   (REV: default HEAD)
"""
import argparse, importlib, subprocess, sys, tempfile
from pathlib import Path
import torch, torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent

def load_at(rev:str, tmp:Path):
    "The `advfilter` package as it was at `rev`, importable as `advfilter_at_rev`."
    tar = subprocess.run(['git', '-C', str(ROOT), 'archive', rev, 'advfilter'], check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', str(tmp)], input=tar, check=True)
    (tmp/'advfilter').rename(tmp/'advfilter_at_rev')
    sys.path.insert(0, str(tmp))
    return importlib.import_module('advfilter_at_rev.models'), importlib.import_module('advfilter_at_rev.core')

def builds(M):
    "(name, constructor) of every model kind at a small size (non-square input, odd sizes padded)."
    s = dict(width=1/8, n_down=2)
    return [('UNet', lambda: M.UNet(3, **s)), ('Add', lambda: M.AddDenoiser(**s)), ('Filt', lambda: M.FiltDenoiser(**s)),
            ('Filt-none-K3', lambda: M.FiltDenoiser(K=3, norm='none', **s)),
            ('MultiHead', lambda: M.MultiHeadFiltDenoiser(n_heads=3, **s)), ('YNet', lambda: M.YNet(**s)),
            ('PAFilt', lambda: M.PAFilt(M.YNet(**s), M.FusionNet(8)))]

def outputs(name:str, m, x:torch.Tensor, core)->list:
    "Every output of `m` on `x` and a loss through each (L_img of Eq. 4 on the denoised images)."
    if name == 'MultiHead': outs = m.forward_heads(x) + [m.kernels(x, 1)]
    elif name == 'YNet': outs = list(m.both(x))
    elif name == 'PAFilt': outs = list(m.parts(x).values())
    else: outs = [m(x)]
    return outs + [sum(core.l_img(o, torch.zeros_like(o)) for o in outs)]

def grads(m)->list: return [p.grad for p in m.parameters()]

def check_models(Mold, Cold, Mnew, Cnew, x)->list:
    "Names of the models whose outputs, losses, gradients or config differ between the two versions."
    bad = []
    for (name, old), (_, new) in zip(builds(Mold), builds(Mnew)):
        torch.manual_seed(0); a = old()
        torch.manual_seed(0); b = new()
        oa, ob = outputs(name, a, x, Cold), outputs(name, b, x, Cnew)
        oa[-1].backward(); ob[-1].backward()
        same = a.config == b.config and all(torch.equal(u, v) for u, v in zip(oa, ob))
        same = same and all(torch.equal(u, v) for u, v in zip(grads(a), grads(b)))
        print(f"{name:14s} outputs, loss, {len(grads(a))} gradients, config: {'identical' if same else 'DIFFERENT'}")
        if not same: bad.append(name)
    return bad

def check_losses(Cold, Cnew)->list:
    "L_sem (Eq. 5) and the fusion cross-entropy of both versions on the same inputs: names of those that differ."
    clf = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 5, 3), nn.Flatten(), nn.Linear(5*4*4, 10))
    a, b = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    lg, cl, y = torch.randn(4, 10), torch.randn(4, 10), torch.randint(0, 10, (4,))
    res = {'L_sem': (Cold.SemanticLoss(clf, '1')(a, b), Cnew.SemanticLoss(clf, '1')(a, b)),
           'fusion_ce': (Cold.fusion_ce(lg, cl, y, clip=1.5), Cnew.fusion_ce(lg, cl, y, clip=1.5))}
    for k, (u, v) in res.items(): print(f"{k:14s} {'identical' if torch.equal(u, v) else 'DIFFERENT'}")
    return [k for k, (u, v) in res.items() if not torch.equal(u, v)]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('rev', nargs='?', default='HEAD'); ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import advfilter.models as Mnew, advfilter.core as Cnew
    with tempfile.TemporaryDirectory() as tmp:
        Mold, Cold = load_at(args.rev, Path(tmp))
        torch.manual_seed(1); x = torch.rand(3, 3, 30, 37)
        bad = check_models(Mold, Cold, Mnew, Cnew, x) + check_losses(Cold, Cnew)
    print(f"fp32 vs {args.rev}: {'all identical' if not bad else 'DIFFERENT: ' + ', '.join(bad)}")
    sys.exit(1 if bad else 0)

if __name__ == '__main__': main()

#!/usr/bin/env python3
"""torch-compare.py DIR CELL: compare a run saved by `rnnbench run --save DIR`
with PyTorch (Debian: apt-get install python3-torch; run with /usr/bin/python3).

rnn_tanh, rnn_relu, lstm and gru_lbr go through nn.RNN / nn.LSTM / nn.GRU
(layer 0, the same parameter names); the classic gru, rnn_sigmoid and
rnn_leaky have no PyTorch module, so they are written out with torch
operations and differentiated by autograd.
The loss is sum(dy*y) + sum(dhT*hT) (+ sum(dcT*cT)), whose gradients are what
`rnnbench run --pass train|bwd|fwdbwd` saved. Prints the largest absolute and
relative difference per tensor and exits 1 if any exceeds 1e-4 relative to
the tensor's scale.
"""
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def load(d, name):
    path = os.path.join(d, name + ".npy")
    return torch.tensor(np.load(path).astype(np.float64)) if os.path.exists(path) else None


def classic_gru(x, h0, W, U, bi, bh):
    H = h0.shape[1]
    h, ys = h0, []
    for t in range(x.shape[0]):
        ax = x[t] @ W.T + bi
        r = torch.sigmoid(ax[:, :H] + h @ U[:H].T + bh[:H])
        z = torch.sigmoid(ax[:, H:2 * H] + h @ U[H:2 * H].T + bh[H:2 * H])
        n = torch.tanh(ax[:, 2 * H:] + (r * h) @ U[2 * H:].T + bh[2 * H:])
        h = (1 - z) * n + z * h
        ys.append(h)
    return torch.stack(ys), h


def elman(act, x, h0, W, U, bi, bh):
    h, ys = h0, []
    for t in range(x.shape[0]):
        h = act(x[t] @ W.T + bi + h @ U.T + bh)
        ys.append(h)
    return torch.stack(ys), h


# The Elman activations PyTorch's nn.RNN lacks (EQUATIONS.md; slope 0.01).
WRITTEN_OUT_ELMAN = {
    "rnn_sigmoid": torch.sigmoid,
    "rnn_leaky": lambda a: torch.nn.functional.leaky_relu(a, 0.01),
}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: torch-compare.py DIR CELL")
    d, cell = sys.argv[1], sys.argv[2]
    x, h0, c0 = load(d, "x"), load(d, "h0"), load(d, "c0")
    W, U, bi, bh = (load(d, n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    I, H = x.shape[2], h0.shape[1]
    leaves = {"x": x, "h0": h0, "weight_ih": W, "weight_hh": U, "bias_ih": bi, "bias_hh": bh}
    if cell == "lstm":
        leaves["c0"] = c0
    for v in leaves.values():
        v.requires_grad_(True)

    cT = None
    if cell == "gru":
        y, hT = classic_gru(x, h0, W, U, bi, bh)
    elif cell in WRITTEN_OUT_ELMAN:
        y, hT = elman(WRITTEN_OUT_ELMAN[cell], x, h0, W, U, bi, bh)
    else:
        mod = {"rnn_tanh": lambda: torch.nn.RNN(I, H, nonlinearity="tanh"),
               "rnn_relu": lambda: torch.nn.RNN(I, H, nonlinearity="relu"),
               "lstm": lambda: torch.nn.LSTM(I, H),
               "gru_lbr": lambda: torch.nn.GRU(I, H)}[cell]()
        # Copy the saved parameters into the module (RNN modules cache their
        # flat weights, so the module's own parameters must hold them) and
        # differentiate with respect to those.
        with torch.no_grad():
            for name, val in (("weight_ih_l0", W), ("weight_hh_l0", U), ("bias_ih_l0", bi), ("bias_hh_l0", bh)):
                getattr(mod, name).copy_(val)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            leaves[name] = getattr(mod, name + "_l0")
        state = (h0[None], c0[None]) if cell == "lstm" else h0[None]
        out = mod(x, state)
        y, st = out
        if cell == "lstm":
            hT, cT = st[0][0], st[1][0]
        else:
            hT = st[0]

    worst = 0.0
    def report(name, ours, theirs):
        nonlocal worst
        if ours is None:
            print(f"{name:11s} not saved")
            return
        diff = (ours - theirs.detach()).abs().max().item()
        scale = theirs.abs().max().item() or 1.0
        worst = max(worst, diff / scale)
        print(f"{name:11s} max_abs_diff={diff:.3e} scale={scale:.3e} rel_to_scale={diff / scale:.3e}")

    report("y", load(d, "y"), y)
    report("hT", load(d, "hT"), hT)
    if cell == "lstm":
        report("cT", load(d, "cT"), cT)
    dy, dhT, dcT = load(d, "dy"), load(d, "dhT"), load(d, "dcT")
    if dy is not None:
        loss = (dy * y).sum() + (dhT * hT).sum()
        if cell == "lstm":
            loss = loss + (dcT * cT).sum()
        loss.backward()
        for name, leaf in leaves.items():
            report("d" + name, load(d, "d" + name), leaf.grad)
    print(f"worst difference relative to scale: {worst:.3e}")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()

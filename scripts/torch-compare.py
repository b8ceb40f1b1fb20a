#!/usr/bin/env python3
"""torch-compare.py DIR CELL [--dir MODE] [--tol TOL]: compare a run saved by
`rnnbench run --pass train --save DIR` with PyTorch, one layer or a network.

Run it with a Python that has torch and numpy (Debian: apt-get install
python3-torch; /usr/bin/python3). Without torch it says so and exits 77.

DIR holds the tensors named as in EQUATIONS.md: x, h0, c0, y, hT, cT, dy, dhT,
dcT, dx, dh0, dc0 and the parameters and their gradients, for one layer with
the plain names (weight_ih, ...) or for a network with PyTorch's state_dict
names (weight_ih_l0, weight_hh_l1_reverse, dbias_ih_l1, ...), states stacked
[L*D][N][H], and lengths.npy (int64 [N]) when the sequences have their own
lengths. L is the number of weight_ih_l* files. The direction mode: given by
--dir, or read from the files: `_reverse` tensors and a y of width 2H mean
bi_concat, of width H bi_sum; without `_reverse` l2r (r2l names its tensors
as l2r does, so it must be given: --dir r2l).

Who computes the other side:
  - lstm, gru_lbr, rnn_tanh, rnn_relu in l2r or bi_concat: nn.LSTM, nn.GRU,
    nn.RNN(nonlinearity) with num_layers=L and bidirectional, on a
    PackedSequence (pack_padded_sequence(enforce_sorted=False), then
    pad_packed_sequence(total_length=T)). The written-out loop below is run
    too and must agree with the module (so the loop that stands in for the
    missing modules is itself checked against PyTorch).
  - gru (classic), rnn_sigmoid, rnn_leaky, and every cell in r2l or bi_sum
    (no PyTorch module has these): the loop written out with torch
    operations (per layer and direction, each sequence run over its own
    length only, the reverse direction from step len-1 down to 0), and
    differentiated by autograd.
Everything on the PyTorch side is float64. The loss is sum(dy*y) +
sum(dhT*hT) (+ sum(dcT*cT)), whose gradients rnnbench saved.

Tolerance: for every tensor, max |rnnbench - torch| <= TOL * max |torch|
(default TOL = 1e-4: rnnbench computes in float32, whose rounding over these
short chains stays near 1e-6 of the scale); the loop against the module,
both float64, within 1e-10 of the scale. Prints one line per tensor and
exits 0 if all agree, 1 if any does not, 2 on bad input, 77 without torch.
"""
import argparse
import glob
import os
import re
import sys

try:
    import numpy as np
    import torch
except ImportError as e:  # the caller counts 77 as skipped, not passed
    print(f"torch-compare: SKIPPED: {e.name or e} is not installed for {sys.executable} "
          "(Debian: apt-get install python3-torch; run with /usr/bin/python3)", file=sys.stderr)
    sys.exit(77)

torch.set_default_dtype(torch.float64)
MODES = ("l2r", "r2l", "bi_concat", "bi_sum")
MODULE_CELLS = ("lstm", "gru_lbr", "rnn_tanh", "rnn_relu")
CELLS = MODULE_CELLS + ("gru", "rnn_sigmoid", "rnn_leaky")
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
LOOP_TOL = 1e-10  # the written-out loop against the module, both float64


def bad(msg):
    print(f"torch-compare: {msg}", file=sys.stderr)
    sys.exit(2)


def load(d, name, dtype=np.float64):
    path = os.path.join(d, name + ".npy")
    if not os.path.exists(path):
        return None
    try:
        return torch.tensor(np.load(path).astype(dtype))
    except (ValueError, OSError) as e:
        bad(f"{path}: {e}")


# ---- the cells, written out (EQUATIONS.md "Cells") ----

def elman(act):
    def step(x, h, c, W, U, bi, bh):
        return act(x @ W.T + bi + h @ U.T + bh), None
    return step


def lstm_step(x, h, c, W, U, bi, bh):
    i, f, g, o = (x @ W.T + bi + h @ U.T + bh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_step(x, h, c, W, U, bi, bh):  # classic: r multiplies h before U_n
    H = h.shape[1]
    ax = x @ W.T + bi
    r = torch.sigmoid(ax[:, :H] + h @ U[:H].T + bh[:H])
    z = torch.sigmoid(ax[:, H:2 * H] + h @ U[H:2 * H].T + bh[H:2 * H])
    n = torch.tanh(ax[:, 2 * H:] + (r * h) @ U[2 * H:].T + bh[2 * H:])
    return (1 - z) * n + z * h, None


def gru_lbr_step(x, h, c, W, U, bi, bh):  # linear before reset: nn.GRU
    H = h.shape[1]
    ax = x @ W.T + bi
    ah = h @ U.T + bh
    r = torch.sigmoid(ax[:, :H] + ah[:, :H])
    z = torch.sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = torch.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h, None


STEPS = {
    "rnn_tanh": elman(torch.tanh),
    "rnn_relu": elman(torch.relu),
    "rnn_sigmoid": elman(torch.sigmoid),
    "rnn_leaky": elman(lambda a: torch.nn.functional.leaky_relu(a, 0.01)),
    "lstm": lstm_step,
    "gru": gru_step,
    "gru_lbr": gru_lbr_step,
}


def written_out(cell, mode, x, lengths, h0, c0, p):
    """The network, literally: per layer l and direction d, step by step,
    each sequence n updated only while t < len_n (so its state stops at its
    own last step, and the reverse direction starts at len_n - 1 from h0),
    its output zero at padding. Returns y, hT [L*D][N][H], cT (or None)."""
    step = STEPS[cell]
    T, N = x.shape[0], x.shape[1]
    D = 2 if mode.startswith("bi") else 1
    L = len(p) // D
    live = (torch.arange(T)[:, None] < lengths[None, :]).to(x.dtype)[:, :, None]  # [T][N][1]
    inp, hT, cT = x, [], []
    for l in range(L):
        outs = []
        for d in range(D):
            W, U, bi, bh = p[l * D + d]
            h, c = h0[l * D + d], (c0[l * D + d] if c0 is not None else None)
            rev = mode == "r2l" or d == 1
            ys = [None] * T
            for t in (reversed(range(T)) if rev else range(T)):
                hn, cn = step(inp[t], h, c, W, U, bi, bh)
                m = live[t]
                h = m * hn + (1 - m) * h
                if c is not None:
                    c = m * cn + (1 - m) * c
                ys[t] = m * hn
            outs.append(torch.stack(ys))
            hT.append(h)
            cT.append(c)
        inp = torch.cat(outs, dim=2) if mode == "bi_concat" else (outs[0] + outs[1] if D == 2 else outs[0])
    return inp, torch.stack(hT), (torch.stack(cT) if c0 is not None else None)


def with_module(cell, mode, x, lengths, h0, c0, p):
    """nn.LSTM / nn.GRU / nn.RNN on a PackedSequence; p's tensors are copied
    into the module, whose own parameters are returned for autograd."""
    I, H, T = x.shape[2], h0.shape[2], x.shape[0]
    D = 2 if mode == "bi_concat" else 1
    L = len(p) // D
    kw = dict(num_layers=L, bidirectional=D == 2)
    mod = {"lstm": lambda: torch.nn.LSTM(I, H, **kw),
           "gru_lbr": lambda: torch.nn.GRU(I, H, **kw),
           "rnn_tanh": lambda: torch.nn.RNN(I, H, nonlinearity="tanh", **kw),
           "rnn_relu": lambda: torch.nn.RNN(I, H, nonlinearity="relu", **kw)}[cell]()
    leaves = []
    with torch.no_grad():
        for l in range(L):
            for d in range(D):
                group = []
                for name, val in zip(PARAMS, p[l * D + d]):
                    w = getattr(mod, f"{name}_l{l}" + ("_reverse" if d else ""))
                    w.copy_(val)
                    group.append(w)
                leaves.append(group)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, st = mod(packed, (h0, c0) if cell == "lstm" else h0)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)
    hT, cT = (st[0], st[1]) if cell == "lstm" else (st, None)
    return y, hT, cT, leaves


def main():
    ap = argparse.ArgumentParser(description="compare a saved rnnbench run with PyTorch")
    ap.add_argument("dir")
    ap.add_argument("cell", choices=CELLS)
    ap.add_argument("--dir", dest="mode", choices=MODES, help="direction mode (default: read from the files)")
    ap.add_argument("--tol", type=float, default=1e-4, help="bound on max|diff| / max|torch| per tensor")
    a = ap.parse_args()
    d, cell = a.dir, a.cell
    if not os.path.isdir(d):
        bad(f"{d} is not a directory")
    lstm = cell == "lstm"

    # Parameters: plain names (one l2r layer) or the network's.
    layers = sorted({int(m.group(1)) for f in glob.glob(os.path.join(d, "weight_ih_l*.npy"))
                     if (m := re.match(r"weight_ih_l(\d+)(_reverse)?\.npy$", os.path.basename(f)))})
    reverse = bool(glob.glob(os.path.join(d, "weight_ih_l*_reverse.npy")))
    x, h0, c0, y_ours = load(d, "x"), load(d, "h0"), load(d, "c0"), load(d, "y")
    if x is None or h0 is None or y_ours is None:
        bad(f"{d} lacks x.npy, h0.npy or y.npy (save a run with rnnbench run --save {d})")
    if lstm and c0 is None:
        bad(f"{d} lacks c0.npy, which lstm needs")
    T, N, I = x.shape
    H = h0.shape[-1]
    if a.mode:
        mode = a.mode
    elif reverse:
        mode = "bi_concat" if y_ours.shape[2] == 2 * H else "bi_sum"
    else:
        mode = "l2r"
    D = 2 if mode.startswith("bi") else 1
    if (D == 2) != reverse:
        bad(f"--dir {mode} but the files {'have' if reverse else 'have no'} _reverse tensors")
    if layers:
        if layers != list(range(len(layers))):
            bad(f"weight_ih_l* files for layers {layers}: not 0..L-1")
        L = len(layers)
        names = [[f"{n}_l{l}" + ("_reverse" if dd else "") for n in PARAMS] for l in range(L) for dd in range(D)]
    else:
        if D != 1:
            bad("bidirectional files need the network names (weight_ih_l0_reverse)")
        L = 1
        names = [list(PARAMS)]
    p = []
    for group in names:
        ts = [load(d, n) for n in group]
        for n, t in zip(group, ts):
            if t is None:
                bad(f"{d} lacks {n}.npy ({L} layers, {mode})")
        p.append(ts)
    # States: [L*D][N][H] (a plain single layer saves [N][H]).
    if h0.dim() == 2:
        h0 = h0[None]
        c0 = c0[None] if c0 is not None else None
        squeeze = True
    else:
        squeeze = False
    if h0.shape[0] != L * D:
        bad(f"h0 has {h0.shape[0]} states, {L} layers x {D} directions need {L * D}")
    lengths = load(d, "lengths", np.int64)
    lengths = lengths.to(torch.int64) if lengths is not None else torch.full((N,), T, dtype=torch.int64)
    if lengths.shape != (N,) or lengths.min() < 1 or lengths.max() > T:
        bad(f"lengths.npy must hold N = {N} lengths in [1, {T}]")
    if not lstm:
        c0 = None

    def leaves_of(pp):
        return [t for g in pp for t in g]

    def grads(y, hT, cT, xs, h0s, c0s, params):
        dy, dhT, dcT = load(d, "dy"), load(d, "dhT"), load(d, "dcT")
        if squeeze:
            dhT = dhT[None] if dhT is not None else None
            dcT = dcT[None] if dcT is not None else None
        loss = (dy * y).sum() + (dhT * hT).sum()
        if lstm:
            loss = loss + (dcT * cT).sum()
        wrt = [xs, h0s] + ([c0s] if lstm else []) + leaves_of(params)
        return torch.autograd.grad(loss, wrt)

    def fresh():
        xs = x.clone().requires_grad_(True)
        h0s = h0.clone().requires_grad_(True)
        c0s = c0.clone().requires_grad_(True) if lstm else None
        ps = [[t.clone().requires_grad_(True) for t in g] for g in p]
        return xs, h0s, c0s, ps

    have_grads = load(d, "dy") is not None
    module = cell in MODULE_CELLS and mode in ("l2r", "bi_concat")
    print(f"torch-compare: {cell}, {L} layer(s), {mode}, T={T} N={N} I={I} H={H}, lengths "
          f"{lengths.tolist()}; against {'the PyTorch module on a PackedSequence' if module else 'autograd on the written-out loop'}")

    xs, h0s, c0s, ps = fresh()
    y_w, hT_w, cT_w = written_out(cell, mode, xs, lengths, h0s, c0s, ps)
    g_w = grads(y_w, hT_w, cT_w, xs, h0s, c0s, ps) if have_grads else None
    if module:
        xm, h0m, c0m, _ = fresh()
        y, hT, cT, mleaves = with_module(cell, mode, xm, lengths, h0m, c0m, p)
        g = grads(y, hT, cT, xm, h0m, c0m, mleaves) if have_grads else None
    else:
        y, hT, cT, g = y_w, hT_w, cT_w, g_w

    gnames = ["dx", "dh0"] + (["dc0"] if lstm else []) + ["d" + n for grp in names for n in grp]
    worst, fails = 0.0, []

    def report(name, ours, theirs, who="", tol=None):
        nonlocal worst
        tol = a.tol if tol is None else tol
        theirs = theirs.detach()
        if ours is None:
            print(f"  {name:38s} not saved")
            return
        if squeeze and ours.dim() == theirs.dim() - 1:
            ours = ours[None]
        if ours.shape != theirs.shape:
            fails.append(name)
            print(f"  {name:38s} shape {tuple(ours.shape)} but {tuple(theirs.shape)} expected  FAIL")
            return
        diff = (ours - theirs).abs().max().item()
        scale = theirs.abs().max().item() or 1.0
        ok = diff <= tol * scale
        if not who:
            worst = max(worst, diff / scale)
        if not ok:
            fails.append(who + name)
        print(f"  {who + name:38s} max_abs_diff={diff:.3e} scale={scale:.3e} "
              f"rel_to_scale={diff / scale:.3e}{'' if ok else '  FAIL'}")

    report("y", y_ours, y)
    report("hT", load(d, "hT"), hT)
    if lstm:
        report("cT", load(d, "cT"), cT)
    if have_grads:
        for n, t in zip(gnames, g):
            report(n, load(d, n), t)
    else:
        print("  (no dy.npy: a forward-only run, no gradients compared)")
    if module:
        # The loop that stands in for the missing modules, against PyTorch,
        # both in float64: only rounding may differ.
        report("y", y_w.detach(), y, "loop vs module: ", LOOP_TOL)
        report("hT", hT_w.detach(), hT, "loop vs module: ", LOOP_TOL)
        if lstm:
            report("cT", cT_w.detach(), cT, "loop vs module: ", LOOP_TOL)
        if have_grads:
            for n, tw, tm in zip(gnames, g_w, g):
                report(n, tw, tm, "loop vs module: ", LOOP_TOL)
    print(f"torch-compare: worst difference relative to scale {worst:.3e} (bound {a.tol:g}): "
          + ("agrees" if not fails else f"DISAGREES on {', '.join(fails)}"))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()

"""Families with a periodic man-made layout: masonry, tiles, plates, boards, cloth, scales, circuits."""

from __future__ import annotations

import numpy as np

from .layers import Ctx, Layers
from .noise import fbm, grid, lattice, smoothstep, worley
from .palette import jitter, luminance, mix

MORTAR = np.array([0.70, 0.68, 0.64], dtype=np.float32)
GROUT = np.array([0.82, 0.81, 0.78], dtype=np.float32)


def _stone(c: np.ndarray, amount: float) -> np.ndarray:
    """A colour pulled toward its own grey, as stone and earth are."""
    g = float(luminance(c))
    return mix(c, np.array([g, g, g], dtype=np.float32), amount)


def brick(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    rows = ctx.count(8, 2, even=True)
    per = ctx.count(4, 1)
    y, x = grid(n)
    v = y * rows
    row = np.floor(v).astype(np.int64)
    u = x * per + 0.5 * (row % 2)
    col = np.floor(u).astype(np.int64) % per
    fu, fv = u - np.floor(u), v - row
    rough = 0.004 * lattice(rng, n, 24, 24)
    edge = np.minimum(np.minimum(fu, 1 - fu) / per, np.minimum(fv, 1 - fv) / rows) + rough
    m = 0.10 / rows
    body = smoothstep(0.45 * m, 0.9 * m, edge)
    bevel = smoothstep(0.45 * m, 2.2 * m, edge)
    ids = row * per + col
    cols = jitter(rng, ctx.colour, rows * per, 0.12)[ids]
    grain = 1.0 + 0.10 * fbm(rng, n, 10, 3) + 0.06 * lattice(rng, n, 40, 40)
    mortar = MORTAR * (0.92 + 0.08 * lattice(rng, n, 32, 32))[..., None]
    albedo = mix(mortar, cols * grain[..., None], body)
    height = 0.85 * bevel + 0.05 * (grain - 1.0) * body
    return Layers(albedo, height, 1.0 - body, relief=1.6)


def cobblestone(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    cells = ctx.count(6, 2)
    f1, f2, ids, _ = worley(rng, n, cells, cells, jitter=0.55)
    e = (f2 - f1) + 0.05 * lattice(rng, n, 20, 20)
    body = smoothstep(0.07, 0.16, e)
    dome = np.sqrt(np.clip(e / 0.55, 0.0, 1.0))
    base = _stone(ctx.colour, 0.2)
    cols = jitter(rng, base, cells * cells, 0.16)[ids]
    tex = 1.0 + 0.12 * fbm(rng, n, 12, 3)
    gap = mix(base * 0.35, np.array([0.16, 0.14, 0.12], dtype=np.float32), 0.5)
    albedo = mix(np.broadcast_to(gap, (n, n, 3)), cols * tex[..., None], body)
    height = body * (0.35 + 0.65 * dome)
    return Layers(albedo, height, 1.0 - body, relief=2.2)


def wood_planks(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    planks = ctx.count(5, 2)
    y, x = grid(n)
    xp = x * planks
    k = np.floor(xp).astype(np.int64) % planks
    xl = xp - np.floor(xp)
    joints = rng.random((planks, 2)).astype(np.float32)
    j1, j2 = np.minimum(joints[:, 0], joints[:, 1])[k], np.maximum(joints[:, 0], joints[:, 1])[k]
    yb = np.broadcast_to(y, (n, n))
    seg = ((yb >= j1) & (yb < j2)).astype(np.int64)
    board = k * 2 + seg
    phase_off = rng.random(planks * 2).astype(np.float32)[board]
    wav = lattice(rng, n, 3, planks * 3) + 0.4 * lattice(rng, n, 7, planks * 5)
    rings = rng.uniform(5, 9)
    phase = xl * rings + 0.55 * wav + 3.0 * phase_off
    g = 0.5 + 0.5 * np.sin(2 * np.pi * phase)
    lines = smoothstep(0.55, 0.95, g)
    fibre = lattice(rng, n, 48, planks * 16)
    cols = jitter(rng, ctx.colour, planks * 2, 0.13)[board]
    tone = 1.0 - 0.28 * lines + 0.05 * fibre + 0.08 * lattice(rng, n, 2, planks)
    seam_x = np.minimum(xl, 1 - xl) / planks
    dj = np.minimum(np.abs(yb - j1), np.abs(yb - j2))
    dj = np.minimum(dj, 1.0 - dj)
    seam = np.maximum(smoothstep(0.006, 0.0025, seam_x), smoothstep(0.006, 0.002, dj))
    albedo = cols * tone[..., None] * (1.0 - 0.8 * seam)[..., None]
    height = 0.8 * (1.0 - seam) - 0.08 * lines
    return Layers(albedo, height, seam, relief=1.0, gloss=0.1)


def riveted_plates(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    p = ctx.count(3, 1)
    y, x = grid(n)
    u, v = x * p, y * p
    iu = np.floor(u).astype(np.int64) % p
    iv = np.floor(v).astype(np.int64) % p
    fu, fv = u - np.floor(u), v - np.floor(v)
    seam_d = np.minimum(np.minimum(fu, 1 - fu), np.minimum(fv, 1 - fv)) / p
    seam = smoothstep(0.005, 0.0015, seam_d)
    a, r_count = 0.07, 5
    step = (1 - 2 * a) / (r_count - 1)

    def ring(t):  # distance (plate units) to the nearest rivet position along an edge
        s = np.clip(np.round((t - a) / step), 0, r_count - 1)
        return np.abs(t - (a + s * step))

    d_tb = np.sqrt(np.minimum(np.abs(fv - a), np.abs(fv - 1 + a)) ** 2 + ring(fu) ** 2)
    d_lr = np.sqrt(np.minimum(np.abs(fu - a), np.abs(fu - 1 + a)) ** 2 + ring(fv) ** 2)
    d = np.minimum(d_tb, d_lr) / p
    rr = 0.012
    rivet = np.clip(1.0 - (d / rr) ** 2, 0.0, 1.0)
    cols = jitter(rng, mix(ctx.colour, np.full(3, 0.55, np.float32), 0.15), p * p, 0.07)[iv * p + iu]
    brushed = 1.0 + 0.05 * lattice(rng, n, 64, 6) + 0.06 * fbm(rng, n, 4, 3)
    albedo = cols * brushed[..., None] * (1.0 - 0.75 * seam)[..., None]
    albedo = mix(albedo, mix(cols, np.ones(3, np.float32), 0.2), (rivet > 0) * 0.6)
    height = 0.6 * (1.0 - seam) + 0.45 * np.sqrt(rivet)
    return Layers(albedo, height, seam, relief=1.8, gloss=0.35, metal=True)


def hex_tiles(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    cols_n = ctx.count(5, 2)
    rows_n = max(2, int(round(cols_n * 2 / np.sqrt(3))))
    rows_n += rows_n % 2
    r = np.arange(rows_n)[:, None]
    oy = np.full((rows_n, cols_n), 0.5, np.float32)
    ox = np.broadcast_to(0.5 * (r % 2) + 0.25, (rows_n, cols_n)).astype(np.float32)
    f1, f2, ids, _ = worley(rng, n, rows_n, cols_n, offsets=(oy, ox))
    e = f2 - f1
    body = smoothstep(0.05, 0.09, e)
    bevel = smoothstep(0.05, 0.25, e)
    count = rows_n * cols_n
    alt = rng.random(count) < 0.25
    shades = jitter(rng, ctx.colour, count, 0.06)
    shades[alt] = mix(shades[alt], np.ones(3, np.float32), 0.35)
    glaze = 1.0 + 0.05 * fbm(rng, n, 6, 2)
    albedo = mix(np.broadcast_to(GROUT * 0.9, (n, n, 3)), shades[ids] * glaze[..., None], body)
    height = 0.8 * bevel
    return Layers(albedo, height, 1.0 - body, relief=1.2, gloss=0.45)


def ceramic_tiles(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    t = ctx.count(4, 1)
    y, x = grid(n)
    u, v = x * t, y * t
    iu = np.floor(u).astype(np.int64) % t
    iv = np.floor(v).astype(np.int64) % t
    fu, fv = u - np.floor(u), v - np.floor(v)
    e = np.minimum(np.minimum(fu, 1 - fu), np.minimum(fv, 1 - fv)) / t
    body = smoothstep(0.006, 0.010, e)
    bevel = smoothstep(0.006, 0.03, e)
    shades = jitter(rng, ctx.colour, t * t, 0.05)
    if rng.random() < 0.5:  # checkerboard with a paler glaze
        chk = ((np.arange(t)[:, None] + np.arange(t)[None, :]) % 2).ravel().astype(bool)
        shades[chk] = mix(shades[chk], np.ones(3, np.float32), 0.45)
    glaze = 1.0 + 0.04 * fbm(rng, n, 3, 2) + 0.08 * (1.0 - fu - fv)
    albedo = mix(np.broadcast_to(GROUT, (n, n, 3)), shades[iv * t + iu] * glaze[..., None], body)
    height = 0.7 * bevel
    return Layers(albedo, height, 1.0 - body, relief=1.2, gloss=0.7)


def woven_fabric(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    k = ctx.count(12, 4, even=True)
    y, x = grid(n)
    u, v = x * k, y * k
    fu, fv = u - np.floor(u), v - np.floor(v)
    over = ((np.floor(u) + np.floor(v)).astype(np.int64) % 2) == 0
    warp_x = np.sin(np.pi * fu) ** 0.6
    weft_y = np.sin(np.pi * fv) ** 0.6
    warp_len = np.sin(np.pi * fv) ** 0.25
    weft_len = np.sin(np.pi * fu) ** 0.25
    fib_w = 1.0 + 0.12 * lattice(rng, n, 64, k * 2)
    fib_h = 1.0 + 0.12 * lattice(rng, n, k * 2, 64)
    warp_v = warp_x * (0.7 + 0.3 * warp_len) * fib_w
    weft_v = weft_y * (0.7 + 0.3 * weft_len) * fib_h
    val = np.where(over, warp_v, weft_v)
    c2 = ctx.colour * np.float32(0.78)
    albedo = np.where(over[..., None], ctx.colour * (0.45 + 0.55 * val)[..., None],
                      c2 * (0.45 + 0.55 * val)[..., None])
    albedo = albedo * (1.0 + 0.05 * fbm(rng, n, 3, 2))[..., None]
    gaps = 1.0 - np.clip(val * 1.6, 0.0, 1.0)
    return Layers(albedo.astype(np.float32), val * 0.8, gaps, relief=1.4)


def dragon_scales(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    cols_n = ctx.count(6, 2)
    rows_n = ctx.count(8, 2, even=True)
    ty = np.arange(n, dtype=np.float32)[:, None] * (rows_n / n)
    tx = np.arange(n, dtype=np.float32)[None, :] * (cols_n / n)
    aspect = cols_n / rows_n  # row height measured in column widths
    iy = np.floor(ty).astype(np.int64)
    radius = 0.78
    best_d = np.full((n, n), 9.0, np.float32)
    best_id = np.zeros((n, n), np.int64)
    best_dy = np.zeros((n, n), np.float32)
    best_dx = np.zeros((n, n), np.float32)
    # Upper rows are drawn on top: visit rows from the bottom up, keep the last hit.
    for dr in (2, 1, 0, -1):
        rr = iy + dr
        shift = 0.5 * (rr % 2)
        cc = np.round(tx - shift - 0.5)
        cx = cc + shift + 0.5
        cy = rr.astype(np.float32) - 0.15
        ddx = (tx - cx)
        ddy = (ty - cy) * aspect
        d = np.sqrt(ddx * ddx + ddy * ddy)
        inside = d < radius
        best_d = np.where(inside, d, best_d)
        best_id = np.where(inside, (rr % rows_n) * cols_n + (cc.astype(np.int64) % cols_n), best_id)
        best_dy = np.where(inside, ddy, best_dy)
        best_dx = np.where(inside, ddx, best_dx)
    best_d = np.minimum(best_d, radius)
    t = best_d / radius
    shades = jitter(rng, ctx.colour, rows_n * cols_n, 0.10)
    irid = 1.0 + 0.10 * np.sin(2 * np.pi * (best_dx * 0.8 + best_dy * 0.5))
    dome = 1.0 - t * t
    rim = smoothstep(0.80, 0.98, t)
    ridge = np.exp(-(best_dx / 0.06) ** 2) * (best_dy > 0)
    tone = (0.55 + 0.55 * dome) * (1.0 - 0.55 * rim) * irid * (1.0 + 0.15 * ridge)
    albedo = shades[best_id] * tone[..., None]
    height = 0.3 + 0.7 * dome - 0.3 * rim
    return Layers(albedo.astype(np.float32), height, rim, relief=1.5, gloss=0.5)


def circuit_board(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    g = ctx.count(16, 4)
    y, x = grid(n)
    u, v = x * g, y * g
    iu = np.floor(u).astype(np.int64) % g
    iv = np.floor(v).astype(np.int64) % g
    fu, fv = u - np.floor(u) - 0.5, v - np.floor(v) - 0.5
    horiz = rng.random((g, g)) < 0.4
    vert = rng.random((g, g)) < 0.35
    w = 0.13
    # horiz[i, j] joins the centres of cells (i, j) and (i, j + 1); vert likewise downward.
    h_ext = (horiz[iv, iu] & (fu >= 0)) | (horiz[iv, (iu - 1) % g] & (fu < 0))
    v_ext = (vert[iv, iu] & (fv >= 0)) | (vert[(iv - 1) % g, iu] & (fv < 0))
    trace_h = (np.abs(fv) < w) & h_ext
    trace_v = (np.abs(fu) < w) & v_ext
    trace = (trace_h | trace_v).astype(np.float32)
    node = (horiz | vert | np.roll(horiz, 1, axis=1) | np.roll(vert, 1, axis=0)) & (rng.random((g, g)) < 0.3)
    dd = np.sqrt(fu * fu + fv * fv)
    pad = node[iv, iu] & (dd < 0.33)
    hole = node[iv, iu] & (dd < 0.14)
    chip = np.zeros((n, n), dtype=bool)
    pins = np.zeros((n, n), dtype=bool)
    for _ in range(int(rng.integers(1, 3))):
        cy0, cx0 = rng.random(2)
        hh, ww = rng.uniform(0.12, 0.22), rng.uniform(0.18, 0.32)
        dy = (y - cy0) % 1.0
        dx = (x - cx0) % 1.0
        body = (dy < hh) & (dx < ww)
        chip |= body
        pin_zone = (dx < ww) & (((dy >= hh) & (dy < hh + 0.025)) | (dy > 1 - 0.025))
        pins |= pin_zone & ((np.floor(dx * g * 2).astype(np.int64) % 2) == 0)
    board = ctx.colour * (0.85 + 0.06 * lattice(rng, n, 32, 32) + 0.05 * fbm(rng, n, 4, 2))[..., None]
    trace_col = mix(ctx.colour, np.ones(3, np.float32), 0.3) * 1.05
    copper = np.array([0.85, 0.68, 0.35], dtype=np.float32)
    albedo = mix(board, np.broadcast_to(trace_col, (n, n, 3)), trace)
    metal = (pad & ~hole) | pins
    albedo = np.where(metal[..., None], copper, albedo)
    albedo = np.where(hole[..., None], np.float32(0.05), albedo)
    albedo = np.where(chip[..., None], np.array([0.07, 0.07, 0.08], np.float32), albedo)
    height = 0.3 * trace + 0.5 * metal + 0.8 * chip
    crev = np.clip(1.0 - height * 2, 0.0, 1.0) * 0.3
    return Layers(albedo.astype(np.float32), height.astype(np.float32), crev, relief=0.8, gloss=0.3)

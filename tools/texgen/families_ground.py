"""Organic and ground families: earth, plants, snow, bark, hide, camouflage."""

from __future__ import annotations

import numpy as np

from .layers import Ctx, Layers
from .noise import fbm, lattice, normalize, smoothstep, standardize, stars, warp, worley
from .palette import jitter, luminance, mix

EARTH = np.array([0.36, 0.26, 0.17], dtype=np.float32)


def _grey(c: np.ndarray) -> np.ndarray:
    g = float(luminance(c))
    return np.array([g, g, g], dtype=np.float32)


def sand(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    k = ctx.count(9, 2)
    kx = int(rng.integers(-1, 2))
    y, x = np.meshgrid(np.arange(n, dtype=np.float32) / n, np.arange(n, dtype=np.float32) / n, indexing="ij")
    w = 0.9 * fbm(rng, n, 2, 3) / k
    phase = k * (y + w) + kx * x
    s = np.sin(2 * np.pi * phase)
    ripple = 0.5 + 0.5 * np.sin(2 * np.pi * phase + 0.8 * s)
    grain = lattice(rng, n, 64, 64)
    base = mix(ctx.colour, np.ones(3, np.float32), 0.15)
    tone = 1.0 + 0.07 * fbm(rng, n, 3, 3) + 0.09 * grain + 0.04 * ripple
    height = 0.45 * ripple + 0.05 * grain
    return Layers(base * tone[..., None], height, 1.0 - ripple, relief=0.8)


def grass(ctx: Ctx) -> Layers:
    """Explicit tapered blades, drawn back to front (the later blade covers the earlier)."""
    n, rng = ctx.n, ctx.rng
    k = ctx.count(200, 60)
    root = rng.random((k, 2)).astype(np.float32)                 # (y, x) in tile units
    ang = np.clip(0.25 * rng.standard_normal(k), -0.6, 0.6).astype(np.float32)      # radians from vertical
    length = (rng.uniform(0.08, 0.19, k) / max(ctx.scale, 0.5) ** 0.5).astype(np.float32)
    width = (rng.uniform(0.014, 0.022, k) / max(ctx.scale, 0.5) ** 0.5).astype(np.float32)
    bend = (0.25 * rng.standard_normal(k)).astype(np.float32)
    lmax = float(length.max())
    box_h = int(np.ceil(lmax * n)) + 2
    box_w = int(np.ceil((0.3 * lmax + 0.03) * n)) + 1
    # Each blade's box is centred on its midpoint, so a narrow box holds a tilted blade.
    up_y, up_x = -np.cos(ang), np.sin(ang)
    ry = root[:, 0] * n
    rx = root[:, 1] * n
    cy = np.floor(ry).astype(np.int64)[:, None, None]
    cx = np.floor(rx + 0.5 * length * up_x * n).astype(np.int64)[:, None, None]
    oy = np.arange(-box_h, 2, dtype=np.int64)[None, :, None]
    ox = np.arange(-box_w, box_w + 1, dtype=np.int64)[None, None, :]
    inv_n = np.float32(1.0 / n)
    py = ((cy + oy).astype(np.float32) + 0.5 - ry[:, None, None]) * inv_n   # pixel minus root
    px = ((cx + ox).astype(np.float32) + 0.5 - rx[:, None, None]) * inv_n
    uy, ux = up_y[:, None, None], up_x[:, None, None]
    along = py * uy + px * ux
    t = along * (1.0 / length)[:, None, None]
    perp = px * (-uy) + py * ux - (bend * length)[:, None, None] * t * t
    half = width[:, None, None] * np.clip(1.0 - t, 0.0, 1.0)
    inside = (t >= 0.0) & (t <= 1.0) & (np.abs(perp) < half)
    order = np.arange(k, dtype=np.int64)[:, None, None]
    sel = np.nonzero(inside)
    key = order[sel[0], 0, 0] * 1024 + (t[sel] * 1023).astype(np.int64)
    flat_idx = np.broadcast_to(((cy + oy) % n) * n + (cx + ox) % n, inside.shape)[sel]
    top = np.full(n * n, -1, dtype=np.int64)
    np.maximum.at(top, flat_idx, key)
    top = top.reshape(n, n)
    covered = top >= 0
    blade = np.where(covered, top // 1024, 0)
    tt = np.where(covered, (top % 1024) / 1023.0, 0.0).astype(np.float32)
    shades = jitter(rng, ctx.colour, k, 0.16)
    tip = mix(ctx.colour, np.array([0.85, 0.85, 0.45], np.float32) * max(float(luminance(ctx.colour)) * 1.4, 0.35), 0.3)
    col = mix(shades[blade], tip, 0.45 * tt ** 2) * (0.7 + 0.4 * tt)[..., None]
    ground = ctx.colour * 0.3 * (1.0 + 0.3 * lattice(rng, n, 16, 16))[..., None]
    albedo = np.where(covered[..., None], col, ground)
    height = np.where(covered, 0.3 + 0.7 * tt, 0.0).astype(np.float32)
    return Layers(albedo.astype(np.float32), height, (~covered).astype(np.float32), relief=0.15)


def moss(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    cells = ctx.count(14, 4)
    f1, _, ids, _ = worley(rng, n, cells, cells, jitter=1.0, need_f2=False)
    bump = np.clip(1.0 - f1 / 0.75, 0.0, 1.0) ** 0.7
    clump = smoothstep(-1.0, 0.3, standardize(fbm(rng, n, ctx.count(3, 1), 3)))
    fuzz = lattice(rng, n, 64, 64)
    height = clump * (0.5 + 0.5 * bump) + 0.05 * fuzz
    varc = jitter(rng, ctx.colour, cells * cells, 0.08)[ids]
    yellow = mix(ctx.colour, np.array([0.75, 0.75, 0.25], np.float32) * (0.5 + float(luminance(ctx.colour))), 0.35)
    albedo = mix(varc, yellow, smoothstep(0.5, 1.5, fbm(rng, n, 4, 2)))
    albedo = albedo * (0.4 + 0.75 * height + 0.12 * fuzz)[..., None]
    return Layers(albedo.astype(np.float32), height, 1.0 - clump, relief=1.6)


def dirt(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    base = mix(ctx.colour, EARTH, 0.3) * 0.85
    mott = fbm(rng, n, ctx.count(3, 1), 5, gain=0.6)
    cells = ctx.count(10, 3)
    f1, _, ids, _ = worley(rng, n, cells, cells, jitter=1.0, need_f2=False)
    keep = (rng.random(cells * cells) < 0.45)[ids]
    rad = rng.uniform(0.12, 0.26, cells * cells).astype(np.float32)[ids]
    peb = keep * np.clip(1.0 - (f1 / rad) ** 2, 0.0, 1.0)
    grain = lattice(rng, n, 48, 48)
    clod = smoothstep(0.4, 1.0, fbm(rng, n, 6, 2))
    tone = 1.0 + 0.22 * mott + 0.08 * grain - 0.25 * clod
    albedo = base * tone[..., None]
    pebc = mix(base, _grey(base) * 1.5, 0.5)
    albedo = mix(albedo, pebc * (0.8 + 0.3 * peb)[..., None], (peb > 0) * 0.9)
    height = 0.35 + 0.15 * mott + 0.5 * np.sqrt(peb) + 0.04 * grain
    return Layers(albedo.astype(np.float32), normalize(height), clod, relief=1.4)


def gravel(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    height = np.zeros((n, n), np.float32)
    albedo = np.broadcast_to(ctx.colour * 0.18 + 0.03, (n, n, 3)).astype(np.float32)
    for cells_base in (11, 13):
        cells = ctx.count(cells_base, 4)
        f1, _, ids, _ = worley(rng, n, cells, cells, jitter=1.0, need_f2=False)
        rad = rng.uniform(0.38, 0.6, cells * cells).astype(np.float32)[ids]
        dome = np.clip(1.0 - (f1 / rad) ** 2, 0.0, 1.0)
        h = np.sqrt(dome) * rng.uniform(0.6, 1.0, cells * cells).astype(np.float32)[ids]
        greys = jitter(rng, mix(ctx.colour, _grey(ctx.colour), 0.25), cells * cells, 0.22)
        on = h > height
        albedo = np.where(on[..., None], greys[ids], albedo)
        height = np.maximum(height, h)
    speck = 1.0 + 0.08 * lattice(rng, n, 48, 48)
    return Layers(albedo * speck[..., None], height, 1.0 - smoothstep(0.0, 0.3, height), relief=2.4)


def snow(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    base = mix(ctx.colour, np.ones(3, np.float32), 0.55)
    drift = fbm(rng, n, ctx.count(2, 1), 5, gain=0.5)
    height = normalize(drift)
    shadow = mix(base, ctx.colour * 0.8, 0.35)
    albedo = mix(shadow, base, smoothstep(0.2, 0.7, height))
    albedo = albedo * (1.0 + 0.03 * lattice(rng, n, 48, 48))[..., None]
    sparkle = stars(rng, n, ctx.count(90, 20), 0.0035, (0.5, 1.0))
    emissive = np.clip(sparkle, 0, 1)[..., None] * np.float32(0.9) * np.ones(3, np.float32)
    return Layers(albedo, height, 1.0 - height, relief=1.3, emissive=emissive.astype(np.float32))


def cracked_mud(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    cells = ctx.count(6, 2)
    f1, f2, ids, _ = worley(rng, n, cells, cells, jitter=0.95)
    e = (f2 - f1) + 0.04 * lattice(rng, n, 24, 24)
    crack = smoothstep(0.07, 0.035, e)
    curl = smoothstep(0.25, 0.06, e) * (1.0 - crack)
    cells2 = ctx.count(15, 4)
    g1, g2, _, _ = worley(rng, n, cells2, cells2, jitter=0.9)
    fine = smoothstep(0.05, 0.015, g2 - g1) * 0.5
    base = mix(ctx.colour, mix(EARTH, _grey(ctx.colour), 0.3), 0.3)
    plates = jitter(rng, base, cells * cells, 0.07)[ids]
    tone = 1.0 + 0.08 * fbm(rng, n, 8, 2) + 0.12 * curl - 0.35 * fine
    albedo = mix(plates * tone[..., None], base * 0.18, crack)
    height = (1.0 - crack) * (0.6 + 0.3 * curl) - 0.1 * fine
    return Layers(albedo.astype(np.float32), height, np.maximum(crack, fine), relief=1.6)


def bark(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    base = mix(ctx.colour, EARTH * 0.7, 0.25)
    ridges = lattice(rng, n, ctx.count(2, 1), ctx.count(9, 3)) + 0.45 * lattice(rng, n, ctx.count(4, 2), ctx.count(18, 6))
    r = np.abs(ridges)
    breaks = smoothstep(1.0, 1.8, lattice(rng, n, ctx.count(10, 3), ctx.count(8, 2)))
    plate = smoothstep(0.12, 0.55, r)
    height = plate * (0.7 + 0.3 * smoothstep(0.5, 1.5, r)) * (1.0 - 0.7 * breaks)
    fib = lattice(rng, n, ctx.count(12, 4), 64)
    tone = 0.18 + 0.8 * height + 0.12 * fib * plate
    albedo = base * tone[..., None]
    return Layers(albedo.astype(np.float32), height, 1.0 - plate, relief=2.2)


def leather(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    cells = ctx.count(22, 6)
    f1, f2, _, _ = worley(rng, n, cells, cells, jitter=0.9)
    e = f2 - f1
    pebble = smoothstep(0.0, 0.35, e)
    crease_f = lattice(rng, n, ctx.count(4, 1), ctx.count(4, 1)) + 0.5 * lattice(rng, n, ctx.count(8, 2), ctx.count(8, 2))
    crease = smoothstep(0.12, 0.0, np.abs(crease_f)) * 0.8
    mott = fbm(rng, n, 3, 3)
    base = ctx.colour * 0.9
    tone = 0.72 + 0.28 * pebble + 0.07 * mott - 0.3 * crease
    albedo = base * tone[..., None]
    height = 0.6 * pebble - 0.4 * crease
    return Layers(albedo.astype(np.float32), height, np.maximum(1.0 - pebble, crease), relief=1.1, gloss=0.3)


def camouflage(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    p = ctx.count(3, 1)
    tones = [mix(ctx.colour, np.ones(3, np.float32), 0.25), ctx.colour, ctx.colour * 0.55,
             mix(ctx.colour * 0.3, np.array([0.08, 0.07, 0.06], np.float32), 0.6)]
    wy = 0.03 * lattice(rng, n, 8, 8)
    wx = 0.03 * lattice(rng, n, 8, 8)
    albedo = np.broadcast_to(tones[0], (n, n, 3)).astype(np.float32)
    for tone, thr in zip(tones[1:], (-0.3, 0.5, 1.1)):
        f = warp(standardize(fbm(rng, n, p, 3, gain=0.45)), wy, wx)
        albedo = np.where((f > thr)[..., None], tone, albedo)
    cloth = 1.0 + 0.04 * lattice(rng, n, 64, 64)
    flat = np.zeros((n, n), np.float32)
    return Layers((albedo * cloth[..., None]).astype(np.float32), flat, flat, relief=0.0)

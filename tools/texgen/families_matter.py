"""Stone, metal, fluids and skies: marble, granite, lava, water, ice, clouds, stars, metals."""

from __future__ import annotations

import numpy as np

from .layers import Ctx, Layers
from .noise import blur, fbm, grid, lambert, lattice, normalize, smoothstep, standardize, stars, warp, worley
from .palette import jitter, mix

RUST_DARK = np.array([0.36, 0.16, 0.07], dtype=np.float32)
RUST_LIGHT = np.array([0.72, 0.36, 0.12], dtype=np.float32)


def _glow_colour(c: np.ndarray) -> np.ndarray:
    """The colour at full brightness (max channel 1), slightly whitened."""
    m = float(max(c.max(), 1e-3))
    g = c / m
    if m < 0.2:  # near-black has no hue to glow with
        g = np.full(3, 0.8, np.float32)
    return mix(g, np.ones(3, np.float32), 0.1).astype(np.float32)


def marble(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    base = mix(ctx.colour, np.ones(3, np.float32), 0.35)
    y, x = grid(n)
    k1 = int(rng.integers(1, 3))
    k2 = int(rng.integers(-2, 3))
    turb = fbm(rng, n, ctx.count(2, 1), 5, gain=0.55)
    phase = np.pi * (k1 * x + k2 * y) + 2.6 * turb
    vein = smoothstep(0.10, 0.0, np.abs(np.sin(phase)))
    turb2 = fbm(rng, n, ctx.count(3, 1), 4, gain=0.6)
    phase2 = np.pi * (k2 * x - k1 * y) + 3.2 * turb2
    vein2 = smoothstep(0.04, 0.0, np.abs(np.sin(phase2))) * 0.6
    cloud = fbm(rng, n, 3, 3)
    albedo = base * (0.93 + 0.07 * cloud)[..., None]
    albedo = mix(albedo, ctx.colour * 0.35, np.maximum(vein, vein2))
    flat = np.full((n, n), 0.5, np.float32)
    return Layers(albedo.astype(np.float32), flat, vein * 0.5, relief=0.0, gloss=0.55)


def granite(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    p = ctx.count(44, 12)
    a = lattice(rng, n, p, p)
    b = lattice(rng, n, p, p)
    cvar = lattice(rng, n, p, p)
    main = ctx.colour * (0.95 + 0.12 * cvar)[..., None]
    light = mix(ctx.colour, np.ones(3, np.float32), 0.6)
    dark = ctx.colour * 0.4
    albedo = np.where((b > 0.75)[..., None], light, main)
    albedo = np.where((b < -0.85)[..., None], dark, albedo)
    albedo = np.where((a > 1.15)[..., None], np.array([0.06, 0.06, 0.07], np.float32), albedo)
    albedo = albedo * (1.0 + 0.06 * fbm(rng, n, 3, 2))[..., None]
    height = normalize(a * 0.3 + b * 0.2)
    return Layers(albedo.astype(np.float32), height, np.zeros((n, n), np.float32), relief=0.4, gloss=0.35)


def lava(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    cells = ctx.count(5, 2)
    f1, f2, ids, _ = worley(rng, n, cells, cells, jitter=0.9)
    e = (f2 - f1) + 0.08 * fbm(rng, n, 8, 2)
    crack = np.exp(-np.maximum(e, 0.0) / 0.07)
    cells2 = ctx.count(12, 3)
    g1, g2, _, _ = worley(rng, n, cells2, cells2, jitter=0.9)
    crack2 = np.exp(-np.maximum(g2 - g1, 0.0) / 0.04) * 0.5
    hot = smoothstep(0.3, 1.4, fbm(rng, n, 3, 3))
    glow = np.clip(crack + crack2 * (0.4 + hot) + 0.35 * hot, 0.0, 1.2)
    crust = np.array([0.09, 0.075, 0.07], np.float32) + ctx.colour * 0.08
    crust_tex = 1.0 + 0.3 * lattice(rng, n, 40, 40)
    plates = jitter(rng, crust, cells * cells, 0.15)[ids] * crust_tex[..., None]
    albedo = plates * (1.0 - np.clip(glow, 0, 1))[..., None]
    gc = _glow_colour(ctx.colour)
    core = mix(gc, np.array([1.0, 0.95, 0.7], np.float32), 0.35)
    emissive = mix(gc * 0.9, core, smoothstep(0.6, 1.1, glow)) * glow[..., None]
    height = 1.0 - np.clip(glow, 0, 1)
    return Layers(albedo.astype(np.float32), height, np.clip(glow, 0, 1), relief=1.8,
                  emissive=emissive.astype(np.float32))


def water_caustics(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    deep = ctx.colour * 0.55
    albedo = mix(deep, ctx.colour, smoothstep(-1.0, 1.0, fbm(rng, n, 2, 3)))
    light = np.zeros((n, n), np.float32)
    for cells_base, w, amp in ((6, 0.06, 0.75), (9, 0.045, 0.45)):
        cells = ctx.count(cells_base, 2)
        f1, f2, _, _ = worley(rng, n, cells, cells, jitter=0.9)
        net = np.exp(-(f2 - f1) / w)
        net = warp(net, 0.015 * lattice(rng, n, 4, 4), 0.015 * lattice(rng, n, 4, 4))
        light += amp * net
    lc = mix(ctx.colour, np.ones(3, np.float32), 0.75)
    emissive = lc * np.clip(light, 0.0, 1.2)[..., None] * 0.85
    flat = fbm(rng, n, 3, 2) * 0.1 + 0.5
    return Layers(albedo.astype(np.float32), flat, np.zeros((n, n), np.float32), relief=0.3,
                  gloss=0.2, emissive=emissive.astype(np.float32))


def ice(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    pale = mix(ctx.colour, np.ones(3, np.float32), 0.45)
    depth = smoothstep(-0.8, 1.0, fbm(rng, n, 2, 4, gain=0.6))
    albedo = mix(pale, ctx.colour * 0.7, depth * 0.55)
    streak = lattice(rng, n, ctx.count(20, 6), ctx.count(3, 1))
    albedo = albedo * (1.0 + 0.05 * streak)[..., None]
    crack = np.zeros((n, n), np.float32)
    for cells_base, w, amp in ((3, 0.018, 1.0), (7, 0.010, 0.55)):
        cells = ctx.count(cells_base, 2)
        f1, f2, _, _ = worley(rng, n, cells, cells, jitter=0.95)
        crack = np.maximum(crack, amp * smoothstep(w, 0.0, f2 - f1))
    halo = blur(crack, 0.012)
    albedo = mix(albedo, np.ones(3, np.float32), np.clip(crack + 0.6 * halo, 0.0, 1.0))
    frost = np.clip(lattice(rng, n, 64, 64) - 1.4, 0.0, 1.0)
    albedo = mix(albedo, np.ones(3, np.float32), frost * 0.6)
    height = 0.5 + 0.1 * depth
    return Layers(albedo.astype(np.float32), height.astype(np.float32), crack, relief=0.5, gloss=0.6)


def clouds(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    sky = ctx.colour * (0.92 + 0.08 * fbm(rng, n, 2, 2))[..., None]
    d = standardize(fbm(rng, n, ctx.count(2, 1), 6, gain=0.55))
    cov = smoothstep(-0.1, 1.0, d)
    shadeable = normalize(d)
    lit = np.clip(lambert(shadeable, 1.8), 0.5, 1.3)
    cloud = mix(np.ones(3, np.float32), ctx.colour, 0.2) * (0.78 + 0.22 * lit)[..., None]
    albedo = mix(sky, cloud, cov)
    flat = np.full((n, n), 0.5, np.float32)
    return Layers(albedo.astype(np.float32), flat, np.zeros((n, n), np.float32), relief=0.0)


def starfield(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    bg = ctx.colour * 0.06 + 0.015
    neb = smoothstep(-0.5, 1.2, standardize(fbm(rng, n, ctx.count(2, 1), 5, gain=0.6)))
    dust = smoothstep(0.5, 1.5, standardize(fbm(rng, n, 4, 3)))
    gc = _glow_colour(ctx.colour)
    emissive = gc * (0.85 * neb * (1.0 - 0.7 * dust))[..., None]
    s = stars(rng, n, ctx.count(140, 30), 0.003, (0.3, 1.0))
    big = stars(rng, n, 5, 0.007, (0.8, 1.0))
    emissive = emissive + np.clip(s + big, 0.0, 1.0)[..., None] * mix(np.ones(3, np.float32), gc, 0.15)
    albedo = np.broadcast_to(bg, (n, n, 3)).astype(np.float32)
    flat = np.zeros((n, n), np.float32)
    return Layers(albedo, flat, flat, relief=0.0, emissive=emissive.astype(np.float32))


def rusted_metal(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    paint = ctx.colour * (0.95 + 0.05 * fbm(rng, n, 6, 2))[..., None]
    streak = lattice(rng, n, ctx.count(2, 1), ctx.count(24, 6))
    m = fbm(rng, n, ctx.count(3, 1), 5, gain=0.6) + 0.35 * streak
    rust = smoothstep(0.35, 0.55, m)
    bare = smoothstep(0.15, 0.35, m) * (1.0 - rust)
    grain = lattice(rng, n, 48, 48)
    rust_col = mix(RUST_DARK, RUST_LIGHT, smoothstep(-1.0, 1.0, grain + fbm(rng, n, 8, 2)))
    metal = np.array([0.55, 0.55, 0.56], np.float32) * (0.9 + 0.1 * lattice(rng, n, 64, 8))[..., None]
    albedo = mix(mix(paint, metal, bare), rust_col, rust)
    height = 0.6 - 0.25 * rust + 0.05 * grain * rust + 0.1 * bare
    return Layers(albedo.astype(np.float32), height.astype(np.float32), rust * 0.5, relief=1.2,
                  gloss=0.2, metal=True)


def brushed_metal(ctx: Ctx) -> Layers:
    n, rng = ctx.n, ctx.rng
    base = mix(ctx.colour, np.full(3, 0.62, np.float32), 0.3)
    s1 = lattice(rng, n, 64, 2)
    s2 = lattice(rng, n, 40, ctx.count(4, 1))
    y, _ = grid(n)
    sheen = 1.0 + 0.18 * np.sin(2 * np.pi * (y + rng.random())) + 0.1 * np.sin(4 * np.pi * (y + rng.random()))
    tone = sheen + 0.09 * s1 + 0.06 * s2
    albedo = base * tone[..., None]
    height = (0.5 + 0.05 * s1).astype(np.float32)
    return Layers(albedo.astype(np.float32), np.broadcast_to(height, (n, n)).copy(),
                  np.zeros((n, n), np.float32), relief=0.2, gloss=0.3, metal=True)

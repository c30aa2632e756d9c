"""Periodic noise primitives on an N x N torus.

Every field here wraps at the image edges by construction: lattices have an integer
period per tile, Worley points live on a periodic grid, distances are measured on the
torus, and blurs and derivatives use circular boundaries. A function of periodic fields
(and of sin/cos with integer frequencies) is periodic again, so whole textures built from
these pieces tile seamlessly.

Random draws never depend on the pixel size N, so the same seed renders the same texture
at 128 and at 256 pixels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

TAU = 2.0 * np.pi


@lru_cache(maxsize=512)
def _bspline_matrix(n: int, period: int) -> np.ndarray:
    """(n, period) matrix interpolating a periodic 1-D lattice with cubic B-splines."""
    t = np.arange(n, dtype=np.float64) * period / n
    base = np.floor(t).astype(np.int64)
    frac = t - base
    w = np.zeros((n, period), dtype=np.float64)
    rows = np.arange(n)
    for k in (-1, 0, 1, 2):
        d = np.abs(frac - k)
        wk = np.where(d < 1.0, (4.0 - 6.0 * d**2 + 3.0 * d**3) / 6.0,
                      np.where(d < 2.0, (2.0 - d) ** 3 / 6.0, 0.0))
        np.add.at(w, (rows, (base + k) % period), wk)
    w = w.astype(np.float32)
    w.setflags(write=False)
    return w


def lattice(rng: np.random.Generator, n: int, py: int, px: int) -> np.ndarray:
    """Smooth periodic noise with py x px lattice cells per tile, unit variance.

    Cubic B-spline interpolation of a Gaussian lattice is separable, so the field is
    Wy @ G @ Wx^T: two small matrix products. The expected variance per pixel is
    known exactly from the weights and divided out.
    """
    py, px = max(1, int(py)), max(1, int(px))
    g = rng.standard_normal((py, px)).astype(np.float32)
    wy, wx = _bspline_matrix(n, py), _bspline_matrix(n, px)
    return (wy @ g @ wx.T) * _inv_std(n, py, px)


@lru_cache(maxsize=2048)
def _inv_std(n: int, py: int, px: int) -> np.float32:
    vy = float((_bspline_matrix(n, py) ** 2).sum(axis=1).mean())
    vx = float((_bspline_matrix(n, px) ** 2).sum(axis=1).mean())
    return np.float32(1.0 / np.sqrt(vy * vx))


def fbm(rng: np.random.Generator, n: int, period: int, octaves: int = 4, gain: float = 0.5,
        aspect: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """Fractal sum of lattice noise; period doubles per octave (capped at n/2)."""
    out = np.zeros((n, n), dtype=np.float32)
    amp, total = 1.0, 0.0
    p = float(period)
    for _ in range(octaves):
        py = max(1, min(int(round(p * aspect[0])), 64))
        px = max(1, min(int(round(p * aspect[1])), 64))
        out += np.float32(amp) * lattice(rng, n, py, px)
        total += amp * amp
        amp *= gain
        p *= 2.0
    return out / np.float32(np.sqrt(total))


def normalize(f: np.ndarray) -> np.ndarray:
    """Rescale a field to [0, 1]."""
    lo, hi = float(f.min()), float(f.max())
    return (f - lo) / np.float32(max(hi - lo, 1e-6))


def standardize(f: np.ndarray) -> np.ndarray:
    """Zero mean, unit standard deviation."""
    return (f - f.mean()) / np.float32(max(float(f.std()), 1e-6))


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / np.float32(e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates in tile units [0, 1): (y column vector, x row vector)."""
    c = (np.arange(n, dtype=np.float32) / np.float32(n))
    return c[:, None], c[None, :]


def worley(rng: np.random.Generator, n: int, cy: int, cx: int, jitter: float = 0.9,
           offsets: tuple[np.ndarray, np.ndarray] | None = None, need_f2: bool = True):
    """Periodic Worley (cellular) noise with one feature point per cell of a cy x cx grid.

    Returns (f1, f2, cell_id, (dy, dx)) with distances in units of the mean cell size,
    the id (row * cx + col) of the nearest point, and the offset of the pixel from that
    point in cell units. `offsets` may fix the in-cell point positions (arrays of shape
    (cy, cx) in [0, 1]); hex layouts use it.
    """
    cy, cx = max(1, int(cy)), max(1, int(cx))
    if offsets is None:
        oy = (0.5 + jitter * (rng.random((cy, cx)) - 0.5)).astype(np.float32)
        ox = (0.5 + jitter * (rng.random((cy, cx)) - 0.5)).astype(np.float32)
    else:
        oy, ox = (np.asarray(o, dtype=np.float32) for o in offsets)
    ty = np.arange(n, dtype=np.float32)[:, None] * np.float32(cy / n)
    tx = np.arange(n, dtype=np.float32)[None, :] * np.float32(cx / n)
    iy = np.floor(ty).astype(np.int32)
    ix = np.floor(tx).astype(np.int32)
    oy_flat, ox_flat = oy.ravel(), ox.ravel()
    # Distances measured in "mean cell" units so anisotropic grids stay round.
    sy = np.float32(np.sqrt(cx / cy)) if cy != cx else np.float32(1.0)
    sx = np.float32(1.0) / sy
    f1 = np.full((n, n), 1e9, dtype=np.float32)
    f2 = np.full((n, n), 1e9, dtype=np.float32) if need_f2 else None
    best = np.zeros((n, n), dtype=np.int32)
    bdy = np.zeros((n, n), dtype=np.float32)
    bdx = np.zeros((n, n), dtype=np.float32)
    for dy in (-1, 0, 1):
        ry = iy + np.int32(dy)
        row = (ry % cy) * np.int32(cx)
        ryf = (ry.astype(np.float32) - ty) * sy
        for dx in (-1, 0, 1):
            rx = ix + np.int32(dx)
            cell = row + rx % cx
            rxf = (rx.astype(np.float32) - tx) * sx
            ddy = ryf + oy_flat.take(cell) * sy
            ddx = rxf + ox_flat.take(cell) * sx
            d = np.sqrt(ddy * ddy + ddx * ddx)
            if need_f2:
                # New second distance: min(f2, max(d, f1)) covers both "d beats f1" and not.
                np.minimum(f2, np.maximum(d, f1), out=f2)
            closer = d < f1
            np.copyto(f1, d, where=closer)
            np.copyto(best, cell, where=closer)
            np.copyto(bdy, ddy, where=closer)
            np.copyto(bdx, ddx, where=closer)
    return f1, f2, best, (bdy, bdx)


@lru_cache(maxsize=64)
def _gauss_kernel_fft(n: int, sigma_px: float) -> np.ndarray:
    f = np.fft.fftfreq(n).astype(np.float32)
    g1 = np.exp(-2.0 * (np.pi * sigma_px * f) ** 2).astype(np.float32)
    k = g1[:, None] * g1[None, : n // 2 + 1]
    k.setflags(write=False)
    return k


def blur(f: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic Gaussian blur; sigma in tile units (fraction of the tile width)."""
    n = f.shape[0]
    s = sigma * n
    if s < 0.3:
        return f
    k = _gauss_kernel_fft(n, round(float(s), 3))
    if f.ndim == 2:
        return np.fft.irfft2(np.fft.rfft2(f) * k, s=f.shape).astype(np.float32)
    return np.fft.irfft2(np.fft.rfft2(f, axes=(0, 1)) * k[..., None], s=f.shape[:2], axes=(0, 1)).astype(np.float32)


def gradient(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences with wrap-around, scaled to per-tile units (d/dy, d/dx)."""
    n = h.shape[0]
    gy = (np.roll(h, -1, axis=0) - np.roll(h, 1, axis=0)) * np.float32(n / 2.0)
    gx = (np.roll(h, -1, axis=1) - np.roll(h, 1, axis=1)) * np.float32(n / 2.0)
    return gy, gx


def lambert(h: np.ndarray, strength: float, light=(-0.6, -0.6, 0.53)) -> np.ndarray:
    """Diffuse shading of a height field lit from the top left; 1.0 on flat ground."""
    gy, gx = gradient(h)
    s = np.float32(strength / 64.0)
    nz = 1.0 / np.sqrt(1.0 + (gx * s) ** 2 + (gy * s) ** 2)
    ly, lx, lz = light
    d = (-(gx * s) * lx - (gy * s) * ly + 1.0) * nz * lz
    return (d / np.float32(lz)).astype(np.float32)


def specular(h: np.ndarray, strength: float, power: float, light=(-0.6, -0.6, 0.53)) -> np.ndarray:
    """Blinn-style highlight of a height field (0 flat, up to 1 on facing slopes)."""
    gy, gx = gradient(h)
    s = np.float32(strength / 64.0)
    nx, ny = -gx * s, -gy * s
    nz = 1.0 / np.sqrt(1.0 + nx * nx + ny * ny)
    hy, hx, hz = light[0] * 0.5, light[1] * 0.5, 1.0
    hn = np.sqrt(hx * hx + hy * hy + hz * hz)
    d = np.clip((nx * hx + ny * hy + hz) * nz / np.float32(hn), 0.0, 1.0)
    return (d ** np.float32(power)).astype(np.float32)


def stars(rng: np.random.Generator, n: int, count: int, radius: float, bright=(0.3, 1.0)) -> np.ndarray:
    """Periodic field of Gaussian dots at random positions (positions independent of n)."""
    pos = rng.random((count, 2)).astype(np.float32) * np.float32(n)
    amp = (rng.uniform(bright[0], bright[1], count) ** 2).astype(np.float32)
    rad = (radius * n * rng.uniform(0.6, 1.4, count)).astype(np.float32)
    r_px = max(1, int(np.ceil(3.0 * radius * 1.4 * n)))
    offs = np.arange(-r_px, r_px + 1)
    c = np.floor(pos).astype(np.int64)
    yy = c[:, 0, None] + offs[None, :]                      # (count, K)
    xx = c[:, 1, None] + offs[None, :]
    dy = (yy + 0.5 - pos[:, 0, None]).astype(np.float32)
    dx = (xx + 0.5 - pos[:, 1, None]).astype(np.float32)
    inv = (1.0 / (2.0 * rad * rad))[:, None, None]
    g = amp[:, None, None] * np.exp(-(dy[:, :, None] ** 2 + dx[:, None, :] ** 2) * inv)
    k = offs.size
    iy = np.broadcast_to((yy % n)[:, :, None], (count, k, k))
    ix = np.broadcast_to((xx % n)[:, None, :], (count, k, k))
    out = np.bincount((iy * n + ix).ravel(), weights=g.ravel(), minlength=n * n)
    return out.reshape(n, n).astype(np.float32)


def warp(f: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Samples f at (y + dy, x + dx) with wrap-around and bilinear interpolation.

    dy, dx are in tile units; periodic displacement fields keep the result periodic.
    """
    n = f.shape[0]
    yy = np.arange(n, dtype=np.float32)[:, None] + dy * np.float32(n)
    xx = np.arange(n, dtype=np.float32)[None, :] + dx * np.float32(n)
    y0 = np.floor(yy)
    x0 = np.floor(xx)
    fy = (yy - y0)
    fx = (xx - x0)
    y0 = y0.astype(np.int64) % n
    x0 = x0.astype(np.int64) % n
    y1 = (y0 + 1) % n
    x1 = (x0 + 1) % n
    if f.ndim == 3:
        fy = fy[..., None]
        fx = fx[..., None]
    top = f[y0, x0] * (1 - fx) + f[y0, x1] * fx
    bot = f[y1, x0] * (1 - fx) + f[y1, x1] * fx
    return (top * (1 - fy) + bot * fy).astype(np.float32)

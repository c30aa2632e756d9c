"""The independent judge: a small CNN that predicts material family and dominant colour.

It shares nothing with the generator's networks. It is trained on its own corpus
render (different seeds, and including the held-out combinations, so it can judge
them), with augmentations that mimic what a decoder does to an image (blur, noise,
slight brightness shifts) plus torus shifts and horizontal flips.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = Path(__file__).resolve().parent / "out"
DEFAULT_PATH = OUT_DIR / "classifier.pt"


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, padding_mode="circular", bias=False),
        nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, padding_mode="circular", bias=False),
        nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class TextureClassifier(nn.Module):
    """128x128 RGB in [0, 1] -> (family logits, colour logits, embedding).

    `input_size` 64 (the second judge) area-averages the tile 2x2 first, which made it four
    times cheaper to train than the first judge (128x128 input, 5 epochs, 58.9% family
    accuracy on corpus renders). The third judge (2026-12-04, `train_classifier`'s default)
    sees the full 128x128 tile again, for the same 13 epochs: 95.7% family accuracy against
    the second's 87.8%, whose commonest confusions were snow/ice, granite/gravel and hexagon
    tiles/cracked mud."""

    def __init__(self, families: list[str], colours: list[str], width: int = 32, input_size: int = 64):
        super().__init__()
        self.families = list(families)
        self.colours = list(colours)
        self.width = width
        self.input_size = input_size
        w = width
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, stride=2, padding=1, padding_mode="circular", bias=False),
                                  nn.BatchNorm2d(24), nn.ReLU(inplace=True))         # input / 2
        self.body = nn.Sequential(_block(24, w, 2),                                      # / 4
                                  _block(w, 2 * w, 2), _block(2 * w, 4 * w, 2))          # / 16
        feat = 4 * w * 2 + 3 * 3  # mean and std pooling, plus colour statistics of the input
        self.embed = nn.Sequential(nn.Linear(feat, 192), nn.ReLU(inplace=True))
        self.family_head = nn.Linear(192, len(families))
        self.colour_head = nn.Linear(192, len(colours))

    def forward(self, x: torch.Tensor):
        if x.shape[-1] > self.input_size:
            x = F.avg_pool2d(x, x.shape[-1] // self.input_size)
        h = self.body(self.stem(x * 2.0 - 1.0))
        pooled = torch.cat([h.mean(dim=(2, 3)), h.std(dim=(2, 3))], dim=1)
        # Global colour statistics help the colour head with tinted, shaded materials.
        flat = x.flatten(2)
        q = torch.quantile(flat, torch.tensor([0.25, 0.5, 0.75], device=x.device), dim=2)  # (3, B, 3)
        stats = q.permute(1, 0, 2).reshape(x.shape[0], 9)
        e = self.embed(torch.cat([pooled, stats], dim=1))
        return self.family_head(e), self.colour_head(e), e

    def save(self, path: Path, extra: dict | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"state": self.state_dict(), "families": self.families, "colours": self.colours,
                    "width": self.width, "input_size": self.input_size, "extra": extra or {}}, path)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> "TextureClassifier":
        blob = torch.load(path, map_location="cpu", weights_only=False)
        # Checkpoints from before input_size was stored are the 128x128, width-32 judge.
        m = cls(blob["families"], blob["colours"], blob.get("width", 32), blob.get("input_size", 128))
        m.load_state_dict(blob["state"])
        m.eval()
        m.info = blob.get("extra", {})
        return m


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, 128, 128) in [0, 1] (resized if needed)."""
    x = torch.from_numpy(np.array(images, copy=True)).permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-1] != 128:
        x = F.interpolate(x, size=(128, 128), mode="area" if x.shape[-1] > 128 else "bilinear",
                          align_corners=None if x.shape[-1] > 128 else False)
    return x


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Torus shift, horizontal flip, decoder-like blur, noise, small brightness change."""
    b = x.shape[0]
    sy, sx = (int(v) for v in torch.randint(0, 128, (2,), generator=gen))
    x = torch.roll(x, (sy, sx), dims=(2, 3))
    flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    # Blur half of the batch with a random 3x3 binomial mix (what a small decoder does).
    k = torch.tensor([1.0, 2.0, 1.0])
    k2 = (k[:, None] * k[None, :]) / 16.0
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), k2.expand(3, 1, 3, 3), groups=3)
    amt = (torch.rand(b, generator=gen) * (torch.rand(b, generator=gen) < 0.6))[:, None, None, None]
    x = x * (1 - amt) + blurred * amt
    x = x + torch.randn(x.shape, generator=gen) * (0.02 * torch.rand(b, 1, 1, 1, generator=gen))
    x = x * (1.0 + 0.08 * (torch.rand(b, 1, 1, 1, generator=gen) - 0.5))
    return x.clamp(0, 1)


@torch.no_grad()
def predict(model: TextureClassifier, images: np.ndarray, batch: int = 128) -> dict:
    """Family/colour predictions, probabilities and embeddings for uint8 images."""
    fam, col, emb, pf, pc = [], [], [], [], []
    for i in range(0, len(images), batch):
        x = to_tensor(images[i:i + batch])
        lf, lc, e = model(x)
        pf.append(lf.softmax(1))
        pc.append(lc.softmax(1))
        emb.append(e)
    pf, pc, emb = torch.cat(pf), torch.cat(pc), torch.cat(emb)
    return {
        "family": [model.families[i] for i in pf.argmax(1).tolist()],
        "colour": [model.colours[i] for i in pc.argmax(1).tolist()],
        "family_prob": pf.numpy(), "colour_prob": pc.numpy(), "embedding": emb.numpy(),
    }


def labels_json(model: TextureClassifier) -> str:
    return json.dumps({"families": model.families, "colours": model.colours})

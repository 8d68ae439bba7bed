"""A reproducible synthetic county: source systems' records with noise, and the truth.

``generate(WorldConfig(people=..., seed=..., noise=..., out=...))`` writes
``out/sources/`` (one folder per source system), ``out/truth/`` and
``out/manifest.json``; ``hub world generate`` is the command for it.
"""

from hub.world.config import WorldConfig
from hub.world.generate import generate

__all__ = ["WorldConfig", "generate"]

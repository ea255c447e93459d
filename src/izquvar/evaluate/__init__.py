"""Measuring tracing against the simulator's ground truth: close-contact recall and precision per source,
and how often the true infector is found. Definitions: :mod:`izquvar.evaluate.metrics`, docs/evaluation.md."""

from __future__ import annotations

from izquvar.evaluate.evaluation import Evaluation, evaluate
from izquvar.evaluate.truth import SimTruth

__all__ = ["Evaluation", "SimTruth", "evaluate"]

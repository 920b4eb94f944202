"""The training API: ``tabship.train(data, target=...)`` returns a ``TrainingRun``."""

from tabship.training._run import TrainingRun
from tabship.training._train import train

__all__ = ["TrainingRun", "train"]

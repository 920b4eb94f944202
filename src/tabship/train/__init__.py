"""The training API: ``tabship.train(data, target=...)`` returns a ``TrainingRun``."""

from tabship.train._run import TrainingRun
from tabship.train._train import train

__all__ = ["TrainingRun", "train"]

"""Notebook and Voila front ends: a prediction form generated from the model's schema.

Needs the optional ``ipywidgets`` dependency (``pip install 'tabship[notebook]'``).
"""

from tabship.notebook._form import Backend, PredictionForm, form

__all__ = ["Backend", "PredictionForm", "form"]

"""What a person sees of a prediction: the input form, the result and its charts, and
the monitor page of a model's prediction log.

The web pages (``tabship.serve``) and the notebook form (``tabship.notebook``) draw from
this one package, so a page, a notebook and a Voila dashboard word and chart a prediction
the same way. It holds plain data and inline SVG: no web framework, no scikit-learn, no
pandas, so the lean server and the notebook can both import it.
"""

from tabship.views._form import (
    FormField,
    errors_by_field,
    form_fields,
    humanize,
    metric_caption,
    record_from_form,
    sort_options,
    value_text,
)
from tabship.views._monitor import render_monitor_page
from tabship.views._plots import (
    class_distribution_svg,
    contribution_svg,
    format_number,
    format_percent,
    nice_ticks,
    probability_svg,
    target_histogram_svg,
)
from tabship.views._result import (
    InputRow,
    ResultView,
    ScoredModel,
    result_view,
    share_below,
)

__all__ = [
    "FormField",
    "InputRow",
    "ResultView",
    "ScoredModel",
    "class_distribution_svg",
    "contribution_svg",
    "errors_by_field",
    "form_fields",
    "format_number",
    "format_percent",
    "humanize",
    "metric_caption",
    "nice_ticks",
    "probability_svg",
    "record_from_form",
    "render_monitor_page",
    "result_view",
    "share_below",
    "sort_options",
    "target_histogram_svg",
    "value_text",
]

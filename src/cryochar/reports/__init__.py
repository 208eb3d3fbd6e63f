"""Reports: figures, client-ready HTML/PDF reports and the run-archive page.

Figures: ``plots`` (every figure of a run by sequence, ``save_run_plots``;
drawn by ``s21_plots``, ``calibration_plots``, ``noise_plots``,
``thermal_plots``, ``coherence_plots`` and ``conditions_plots`` on the shared
``figures`` toolkit). Reports: ``report`` (one self-contained HTML file per
run, from ``report_model`` and the per-sequence ``report_content``, rendered by
the Jinja2 ``templates``), ``pdf`` (the same page printed by headless
Chromium), ``index`` (the archive page), ``publish`` (what the CLI and the
demo call), ``headline`` (one line per run). Export: ``touchstone`` and
``calibration_touchstone``.
"""

__all__: list[str] = []
